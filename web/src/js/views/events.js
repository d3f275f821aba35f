// The event timeline, newest first. Columns come from each type's property
// metadata (sent with the first event of a type and in
// Runtime.event_types): peer ids, times, multiaddrs and JSON are rendered
// by their declared type. Filter by type and text; freeze the list to read.

import { h, setText } from '../dom.js';
import { VTable } from '../vtable.js';
import * as fmt from '../format.js';
import { filterBox, matches, toolbar } from './common.js';

const SUMMARY_PROPS = 5;

function typeHue(name) {
  let x = 0;
  for (let i = 0; i < name.length; i++) x = (x * 31 + name.charCodeAt(i)) >>> 0;
  return x % 360;
}

export function eventsView(app) {
  const store = app.store;
  const T = app.types;
  let selected = new Set(); // empty: every type
  let words = [];
  let frozen = false;
  let frozenRows = null;
  let frozenAt = 0;
  let detail = null;
  let visible = false;

  function typeTag(name) {
    const t = h('span', { class: 'etype' }, name || '(unnamed)');
    t.style.setProperty('--h', String(typeHue(name || '')));
    return t;
  }

  /** One property value as DOM, by its declared type. */
  function value(prop, v, full) {
    if (v === undefined || v === null) return h('span', { class: 'muted' }, '–');
    if (prop && prop.has_multiple && Array.isArray(v)) {
      const items = v.filter((x) => x !== null && x !== undefined);
      const shown = full ? items : items.slice(0, 3);
      const out = h('span', { class: 'multi' }, shown.map((x) => value({ ...prop, has_multiple: false }, x, full)));
      if (items.length > shown.length) out.append(h('span', { class: 'muted' }, ` +${items.length - shown.length}`));
      return out;
    }
    switch (prop ? prop.type : T.STRING) {
      case T.PEERID:
        return typeof v === 'string' ? app.peerChip(v, { full }) : h('span', null, JSON.stringify(v));
      case T.TIME: {
        const ms = Number(v);
        return Number.isFinite(ms) && ms > 0 ? h('span', { class: 'mono', title: fmt.dateTime(ms) }, fmt.clockMs(ms)) : h('span', null, String(v));
      }
      case T.NUMBER: {
        const n = Number(v);
        return h('span', { class: 'num' }, Number.isFinite(n) ? (Number.isInteger(n) ? fmt.int(n) : String(n)) : String(v));
      }
      case T.MULTIADDR:
        return h('span', { class: 'mono' }, String(v));
      case T.JSON:
        return h('span', { class: 'mono json' }, typeof v === 'string' ? v : JSON.stringify(v));
      default:
        return h('span', null, typeof v === 'object' ? JSON.stringify(v) : String(v));
    }
  }

  function propsOf(type) {
    return store.eventTypes.get(type) || [];
  }

  function summary(cell, e) {
    if (cell.row === e) return;
    cell.row = e;
    const c = store.eventContent(e);
    if (!c) { cell.replaceChildren(h('span', { class: 'mono' }, e.content)); return; }
    const props = propsOf(e.type);
    const parts = [];
    const seen = new Set();
    for (const p of props) {
      seen.add(p.name);
      if (parts.length >= SUMMARY_PROPS || !(p.name in c)) continue;
      parts.push(h('span', { class: 'kvp' }, h('span', { class: 'k' }, p.name), value(p, c[p.name], false)));
    }
    const extra = Object.keys(c).filter((k) => !seen.has(k));
    for (const k of extra) {
      if (parts.length >= SUMMARY_PROPS) break;
      const v = c[k];
      if (v !== null && typeof v === 'object') continue;
      parts.push(h('span', { class: 'kvp extra' }, h('span', { class: 'k' }, k), value(null, v, false)));
    }
    cell.replaceChildren(...parts);
  }

  function baseColumns() {
    return [
      { key: 'time', title: 'Time', w: 104, cls: 'mono', text: (e) => fmt.clockMs(e.ts), tip: (e) => `${fmt.dateTime(e.ts)}${e.seq ? `\nseq ${e.seq}` : ''}` },
      {
        key: 'type', title: 'Type', w: 170,
        render: (cell, e) => { if (cell.type !== e.type) { cell.type = e.type; cell.replaceChildren(typeTag(e.type)); } },
      },
    ];
  }

  function columnsFor(type) {
    const cols = baseColumns();
    if (!type) {
      cols.push({ key: 'summary', title: 'Properties', w: 400, flex: true, render: summary });
      return cols;
    }
    const props = propsOf(type);
    for (const p of props) {
      const peer = p.type === T.PEERID;
      cols.push({
        key: `p:${p.name}`,
        title: p.name,
        help: `${(app.names.propType[p.type] || '').toLowerCase()}${p.has_multiple ? ', several' : ''}`,
        w: p.has_multiple ? 240 : peer ? 130 : p.type === T.MULTIADDR ? 260 : p.type === T.JSON ? 240 : p.type === T.STRING ? 190 : 112,
        align: p.type === T.NUMBER && !p.has_multiple ? 'right' : undefined,
        render: (cell, e) => {
          if (cell.row === e) return;
          cell.row = e;
          const c = store.eventContent(e);
          cell.replaceChildren(c && p.name in c ? value(p, c[p.name], false) : h('span', { class: 'muted' }, '–'));
        },
      });
    }
    const declared = new Set(props.map((p) => p.name));
    cols.push({
      key: 'other', title: props.length ? 'Other' : 'Content', w: 240, flex: true, cls: 'mono',
      text: (e) => {
        const c = store.eventContent(e);
        if (!c) return e.content;
        return Object.keys(c).filter((k) => !declared.has(k)).map((k) => `${k}=${typeof c[k] === 'object' ? JSON.stringify(c[k]) : c[k]}`).join('  ');
      },
    });
    return cols;
  }

  const table = new VTable({
    columns: columnsFor(''),
    rowHeight: 28,
    onRowClick: (e) => showDetail(e),
    rowClass: (e) => (detail === e ? 'picked' : ''),
    empty: 'No events',
  });
  let columnsType = '';

  const chips = h('div', { class: 'etypes' });
  const freezeBtn = h('button', { type: 'button', class: 'toggle', 'aria-pressed': 'false', title: 'stop the list from moving (events keep arriving)' }, 'Freeze');
  const newCount = h('button', { type: 'button', class: 'new-events', hidden: true });
  const dropped = h('span', { class: 'warn-chip', hidden: true });
  const count = h('span', { class: 'count' });
  const detailBox = h('div', { class: 'event-detail', hidden: true });
  const el = h('section', { class: 'view view-table view-events', dataset: { view: 'events' } },
    toolbar(filterBox('Filter: type, peer id, any text…', (w) => { words = w; rebuild(true); }), freezeBtn, newCount, dropped, count),
    chips, table.el, detailBox);

  freezeBtn.addEventListener('click', () => setFrozen(!frozen));
  newCount.addEventListener('click', () => setFrozen(false));

  function setFrozen(on) {
    frozen = on;
    freezeBtn.setAttribute('aria-pressed', String(on));
    frozenRows = null;
    frozenAt = store.eventsSeen;
    rebuild(true);
  }

  function showDetail(e) {
    detail = detail === e ? null : e;
    table.refresh();
    detailBox.hidden = !detail;
    if (!detail) return;
    const c = store.eventContent(e);
    const props = propsOf(e.type);
    const rows = [];
    const seen = new Set();
    for (const p of props) {
      seen.add(p.name);
      rows.push(h('dt', null, p.name, h('span', { class: 'muted' }, ` ${(app.names.propType[p.type] || '').toLowerCase()}${p.has_multiple ? '[]' : ''}`)),
        h('dd', null, c && p.name in c ? value(p, c[p.name], true) : h('span', { class: 'muted' }, 'absent')));
    }
    if (c) for (const k of Object.keys(c)) if (!seen.has(k)) rows.push(h('dt', null, k, h('span', { class: 'muted' }, ' undeclared')), h('dd', null, value(null, c[k], true)));
    let pretty = e.content;
    try { pretty = JSON.stringify(JSON.parse(e.content), null, 2); } catch { /* shown as sent */ }
    detailBox.replaceChildren(
      h('div', { class: 'panel-head' }, typeTag(e.type), h('span', { class: 'mono' }, fmt.dateTime(e.ts), `.${String(e.ts % 1000).padStart(3, '0')}`), e.seq ? h('span', { class: 'muted' }, `seq ${e.seq}`) : null,
        h('button', { type: 'button', class: 'close', onclick: () => showDetail(e), title: 'close' }, '×')),
      h('div', { class: 'detail-cols' }, h('dl', null, rows), h('pre', { class: 'json' }, pretty)));
  }

  function renderChips() {
    const names = new Set(store.eventCounts.keys());
    for (const n of store.eventTypes.keys()) names.add(n);
    const list = [...names].sort();
    const key = list.map((n) => `${n}:${store.eventCounts.get(n) || 0}:${selected.has(n)}`).join('|');
    if (chips.key === key) return;
    chips.key = key;
    chips.replaceChildren(
      h('button', { type: 'button', class: 'chip', 'aria-pressed': String(selected.size === 0), onclick: () => { selected = new Set(); rebuild(true); } }, 'all ', h('span', { class: 'n' }, fmt.count(store.events.length))),
      ...list.map((n) => {
        const b = h('button', {
          type: 'button', class: 'chip', 'aria-pressed': String(selected.has(n)), dataset: { type: n },
          title: 'click: only this type; shift-click: add or remove',
          onclick: (ev) => {
            if (ev.shiftKey) { if (selected.has(n)) selected.delete(n); else selected.add(n); } else selected = selected.size === 1 && selected.has(n) ? new Set() : new Set([n]);
            rebuild(true);
          },
        }, typeTag(n), h('span', { class: 'n' }, fmt.count(store.eventCounts.get(n) || 0)));
        return b;
      }));
  }

  const hayOf = (e) => {
    if (e.hay === undefined) e.hay = `${e.type} ${e.content}`.toLowerCase();
    return e.hay;
  };

  function rebuild(force) {
    renderChips();
    const only = selected.size === 1 ? [...selected][0] : '';
    if (only !== columnsType) {
      columnsType = only;
      table.setColumns(columnsFor(only));
    }
    if (store.droppedEvents) {
      dropped.hidden = false;
      setText(dropped, `${fmt.int(store.droppedEvents)} dropped`);
      dropped.title = 'events the endpoint discarded for this page (it fell behind) or gaps in Event.seq';
    } else {
      dropped.hidden = true;
    }
    if (frozen && frozenRows && !force) {
      const n = store.eventsSeen - frozenAt;
      newCount.hidden = n <= 0;
      setText(newCount, `${fmt.int(n)} new ↑`);
      return;
    }
    newCount.hidden = true;
    // A replay's position need not be its newest time (it loops): events up to the state shown.
    const upTo = store.following() && !store.replay ? Infinity : store.cursorTs();
    const out = [];
    const evs = store.events;
    for (let i = evs.length - 1; i >= 0; i--) {
      const e = evs[i];
      if (e.ts > upTo) continue;
      if (selected.size && !selected.has(e.type)) continue;
      if (words.length && !matches(hayOf(e), words)) continue;
      out.push(e);
    }
    if (frozen) frozenRows = out;
    table.setRows(out);
    setText(count, out.length === evs.length ? `${fmt.int(out.length)} events` : `${fmt.int(out.length)} of ${fmt.int(evs.length)} events`);
  }

  return {
    id: 'events',
    title: 'Events',
    el,
    badge: () => (store.events.length ? fmt.count(store.events.length) : ''),
    update: () => rebuild(false),
    show: () => { visible = true; },
    hide: () => { visible = false; },
    focusFilter: () => el.querySelector('.filter').focus(),
    get visible() { return visible; },
  };
}
