// A virtualised table: only the rows in view exist in the DOM (a small pool
// of row elements positioned over a tall spacer), and a cell's text is
// written only when it changed. Holds no data of its own beyond the row
// array it is given; the view sorts and filters.
//
// columns: [{key, title, w (px), flex (grows), align: 'right', sortable,
//            text(row) -> string, tip(row) -> string, render(cell, row)}]
// rowPeer(row) and rowKey(row) become the row element's data-peer and data-key.
// A column with render() draws its own cell content (and must diff itself).

import { h } from './dom.js';

const OVERSCAN = 8;

export class VTable {
  constructor(opts) {
    this.columns = opts.columns;
    this.rowHeight = opts.rowHeight || 28;
    this.rowClass = opts.rowClass || (() => '');
    this.rowPeer = opts.rowPeer || (() => '');
    // data-key of a row: what an alert's subject is found by (focus.js).
    this.rowKey = opts.rowKey || (() => '');
    this.onRowClick = opts.onRowClick || null;
    this.onSort = opts.onSort || null;
    this.emptyText = opts.empty || 'Nothing to show';
    this.rows = [];
    this.pool = [];
    this.sort = opts.sort || { key: '', dir: 1 };
    this.queued = false;

    this.head = h('div', { class: 'vt-row vt-hrow', role: 'row' });
    this.body = h('div', { class: 'vt-body', role: 'rowgroup' });
    this.empty = h('div', { class: 'vt-empty', hidden: true }, this.emptyText);
    this.scroller = h('div', { class: 'vt-scroll' }, h('div', { class: 'vt-head' }, this.head), this.body, this.empty);
    this.el = h('div', { class: 'vt', role: 'table' }, this.scroller);
    this.el.style.setProperty('--rh', `${this.rowHeight}px`);
    this.setColumns(this.columns);

    this.scroller.addEventListener('scroll', () => this.schedule(), { passive: true });
    new ResizeObserver(() => this.schedule()).observe(this.scroller);
    this.body.addEventListener('click', (ev) => this.click(ev));
  }

  setColumns(columns) {
    this.columns = columns;
    let min = 0;
    const tpl = columns.map((c) => {
      min += c.w;
      return c.flex ? `minmax(${c.w}px, 1fr)` : `${c.w}px`;
    }).join(' ');
    this.el.style.setProperty('--vt-cols', tpl);
    this.el.style.setProperty('--vt-minw', `${min}px`);
    this.head.replaceChildren(...columns.map((c) => {
      const cell = h('div', {
        class: `vt-cell${c.align === 'right' ? ' r' : ''}${c.sortable ? ' sortable' : ''}`,
        role: 'columnheader',
        title: c.help || null,
        dataset: { col: c.key },
      }, c.title);
      if (c.sortable && this.onSort) cell.addEventListener('click', () => this.onSort(c.key));
      return cell;
    }));
    for (const r of this.pool) r.remove();
    this.pool = [];
    this.markSort();
    this.schedule();
  }

  setSort(key, dir) {
    this.sort = { key, dir };
    this.markSort();
  }

  markSort() {
    for (const cell of this.head.children) {
      const on = cell.dataset.col === this.sort.key;
      cell.classList.toggle('asc', on && this.sort.dir > 0);
      cell.classList.toggle('desc', on && this.sort.dir < 0);
    }
  }

  /** Replace the rows (kept by reference) and redraw what is in view. */
  setRows(rows) {
    this.rows = rows;
    this.body.style.height = `${rows.length * this.rowHeight}px`;
    this.el.dataset.rows = String(rows.length);
    this.empty.hidden = rows.length > 0;
    this.schedule();
  }

  /** Redraw the visible rows now (their data may have changed in place). */
  refresh() {
    this.render();
  }

  schedule() {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.render();
    });
  }

  /** Scroll so that row i is visible. */
  reveal(i) {
    const headH = this.body.offsetTop;
    const top = i * this.rowHeight;
    const view = this.scroller.clientHeight - headH;
    const at = this.scroller.scrollTop;
    if (top < at) this.scroller.scrollTop = top;
    else if (top + this.rowHeight > at + view) this.scroller.scrollTop = top + this.rowHeight - view;
  }

  scrollTop() {
    this.scroller.scrollTop = 0;
  }

  render() {
    const rh = this.rowHeight;
    const n = this.rows.length;
    const viewH = this.scroller.clientHeight;
    if (!viewH) return; // hidden: drawn when shown
    const top = this.scroller.scrollTop - this.body.offsetTop;
    const first = Math.max(0, Math.floor(top / rh) - OVERSCAN);
    const last = Math.min(n, Math.ceil((top + viewH) / rh) + OVERSCAN);
    const need = Math.max(0, last - first);
    while (this.pool.length < need) this.pool.push(this.makeRow());
    for (let j = 0; j < this.pool.length; j++) {
      const el = this.pool[j];
      if (j >= need) {
        if (!el.hidden) el.hidden = true;
        continue;
      }
      if (el.hidden) el.hidden = false;
      this.fill(el, first + j);
    }
  }

  makeRow() {
    const cells = this.columns.map((c) => h('div', {
      class: `vt-cell${c.align === 'right' ? ' r' : ''}${c.cls ? ` ${c.cls}` : ''}`,
      role: 'cell',
      dataset: { col: c.key },
    }));
    const el = h('div', { class: 'vt-row', role: 'row' }, cells);
    el.cells = cells;
    el.idx = -1;
    this.body.append(el);
    return el;
  }

  fill(el, i) {
    const row = this.rows[i];
    if (el.idx !== i) {
      el.idx = i;
      el.style.transform = `translateY(${i * this.rowHeight}px)`;
    }
    const cls = `vt-row ${this.rowClass(row) || ''}`;
    if (el.className !== cls) el.className = cls;
    const peer = this.rowPeer(row) || '';
    if (el.dataset.peer !== peer) el.dataset.peer = peer;
    const key = this.rowKey(row) || '';
    if (el.dataset.key !== key) el.dataset.key = key;
    const cols = this.columns;
    for (let k = 0; k < cols.length; k++) {
      const c = cols[k];
      const cell = el.cells[k];
      if (c.render) {
        c.render(cell, row);
      } else {
        const t = c.text(row);
        if (cell.t !== t) {
          cell.t = t;
          cell.textContent = t;
        }
      }
      if (c.tip) {
        const tip = c.tip(row) || '';
        if (cell.title !== tip) cell.title = tip;
      }
    }
    if (this.onRowOpacity) {
      const o = this.onRowOpacity(row);
      const s = o === 1 ? '' : String(o);
      if (el.style.opacity !== s) el.style.opacity = s;
    }
  }

  click(ev) {
    if (!this.onRowClick) return;
    const rowEl = ev.target.closest('.vt-row');
    if (!rowEl || rowEl.idx < 0 || rowEl.idx >= this.rows.length) return;
    const cell = ev.target.closest('.vt-cell');
    this.onRowClick(this.rows[rowEl.idx], ev, cell ? cell.dataset.col : '');
  }
}
