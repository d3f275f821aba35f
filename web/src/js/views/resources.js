// Resource manager scopes: usage against limit as bars, one row per scope.

import { h, setText } from '../dom.js';
import { VTable } from '../vtable.js';
import * as fmt from '../format.js';
import { filterBox, matches, toolbar, emptyState } from './common.js';

const RESOURCES = [
  ['conns_in', 'Conns in', fmt.int],
  ['conns_out', 'Conns out', fmt.int],
  ['streams_in', 'Streams in', fmt.int],
  ['streams_out', 'Streams out', fmt.int],
  ['memory', 'Memory', fmt.bytes],
  ['fds', 'FDs', fmt.int],
];

/** A scope's data-key: "kind:name" with the kind's lowercased name (alerts find scopes by it). */
export function scopeKey(app, s) {
  return `${(app.names.scopeKind[s.kind] || String(s.kind)).toLowerCase()}:${s.name || ''}`;
}

/** Fraction of a limit in use; NaN when there is no limit (0). */
function fraction(use, limit) {
  return limit > 0 ? use / limit : NaN;
}

function bar(cell, use, limit, format) {
  const key = `${use}/${limit}`;
  if (cell.key === key) return;
  cell.key = key;
  const f = fraction(use, limit);
  const level = Number.isNaN(f) ? 'nolimit' : f >= 0.9 ? 'hot' : f >= 0.7 ? 'warm' : 'ok';
  const fill = h('span', { class: `bar-fill ${level}` });
  fill.style.setProperty('--w', Number.isNaN(f) ? '0%' : `${Math.min(100, f * 100).toFixed(1)}%`);
  cell.replaceChildren(h('span', { class: 'bar' }, fill, h('span', { class: 'bar-text' }, limit > 0 ? `${format(use)} / ${format(limit)}` : `${format(use)} / ∞`)));
  cell.title = limit > 0 ? `${(f * 100).toFixed(1)}% of the limit` : 'no limit';
}

export function resourcesView(app) {
  const store = app.store;
  let words = [];
  let kinds = null; // null: all
  const PEER = app.codec.enumValues('ResourceManager.ScopeKind').PEER;

  const columns = [
    { key: 'kind', title: 'Scope', w: 90, text: (r) => (app.names.scopeKind[r.kind] || String(r.kind)).toLowerCase() },
    {
      key: 'name', title: 'Name', w: 240, cls: 'mono',
      render: (cell, r) => {
        if (r.kind === PEER) { cell.t = undefined; app.peerCell(cell, r.name); return; }
        app.peerCell(cell, '');
        const t = r.name || '–';
        if (cell.t !== t) { cell.t = t; cell.textContent = t; }
      },
      tip: (r) => r.name,
    },
    ...RESOURCES.map(([key, title, format]) => ({
      key, title, w: 140, flex: true,
      render: (cell, r) => bar(cell, r.usage ? r.usage[key] : 0, r.limit ? r.limit[key] : 0, format),
    })),
  ];
  const table = new VTable({
    columns,
    rowHeight: 30,
    rowPeer: (r) => (r.kind === PEER ? r.name : ''),
    rowKey: (r) => scopeKey(app, r),
    rowClass: (r) => {
      let worst = 0;
      for (const [key] of RESOURCES) {
        const f = fraction(r.usage ? r.usage[key] : 0, r.limit ? r.limit[key] : 0);
        if (f > worst) worst = f;
      }
      return worst >= 0.9 ? 'hot' : '';
    },
    empty: 'No scopes match',
  });

  const chips = h('div', { class: 'seg' });
  const count = h('span', { class: 'count' });
  const empty = emptyState('No resource manager in this state', 'The host reports no Subsystems.resource_manager.');
  const el = h('section', { class: 'view view-table', dataset: { view: 'resources' } },
    toolbar(filterBox('Filter: scope name…', (w) => { words = w; rebuild(); }), chips, count),
    table.el, empty);

  function renderChips(present) {
    chips.replaceChildren(
      h('button', { type: 'button', 'aria-pressed': String(kinds === null), onclick: () => { kinds = null; rebuild(); } }, 'all'),
      ...[...present].sort((a, b) => a - b).map((k) => h('button', {
        type: 'button',
        'aria-pressed': String(kinds !== null && kinds === k),
        onclick: () => { kinds = kinds === k ? null : k; rebuild(); },
      }, (app.names.scopeKind[k] || String(k)).toLowerCase())),
    );
  }

  function rebuild() {
    const cur = store.current();
    const rm = cur ? cur.view.resources : null;
    empty.hidden = !!rm;
    table.el.hidden = !rm;
    if (!rm) { setText(count, ''); chips.replaceChildren(); return; }
    const present = new Set(rm.scopes.map((s) => s.kind));
    renderChips(present);
    const rows = rm.scopes.filter((s) => (kinds === null || s.kind === kinds) && (!words.length || matches(`${s.name} ${app.names.scopeKind[s.kind] || ''}`.toLowerCase(), words)));
    // System first, then by kind; within a kind, the fullest scope first.
    rows.sort((a, b) => {
      if (a.kind !== b.kind) return a.kind - b.kind;
      const fa = Math.max(0, ...RESOURCES.map(([k]) => fraction(a.usage ? a.usage[k] : 0, a.limit ? a.limit[k] : 0) || 0));
      const fb = Math.max(0, ...RESOURCES.map(([k]) => fraction(b.usage ? b.usage[k] : 0, b.limit ? b.limit[k] : 0) || 0));
      return fb - fa || (a.name < b.name ? -1 : 1);
    });
    table.setRows(rows);
    setText(count, `${fmt.int(rows.length)} scopes`);
  }

  return {
    id: 'resources',
    title: 'Resources',
    el,
    badge: () => {
      const cur = store.current();
      return cur && cur.view.resources ? fmt.int(cur.view.resources.scopes.length) : '';
    },
    update: rebuild,
    focusFilter: () => el.querySelector('.filter').focus(),
  };
}
