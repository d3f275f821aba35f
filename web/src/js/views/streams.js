// Streams grouped by protocol: totals per protocol, the streams themselves
// expand underneath.

import { h, setText } from '../dom.js';
import { VTable } from '../vtable.js';
import * as fmt from '../format.js';
import { statusPill } from '../app.js';
import { filterBox, matches, sortRows, nextSort, toolbar, ageOf } from './common.js';

const SORT_DEFAULTS = { open: -1, total: -1, peers: -1, bytesIn: -1, bytesOut: -1, rateIn: -1, rateOut: -1, age: 1 };

export function streamsView(app) {
  const store = app.store;
  const expanded = new Set();
  let sort = { key: 'rateIn', dir: -1 };
  let words = [];
  let now = 0;
  let lastView = null;

  const isProto = (r) => r.kind === 'protocol';
  const columns = [
    { key: 'exp', title: '', w: 24, cls: 'exp', text: (r) => (isProto(r) ? (expanded.has(r.key) ? '▾' : '▸') : '') },
    {
      key: 'protocol', title: 'Protocol / peer', w: 240, flex: true, sortable: true, cls: 'mono',
      render: (cell, r) => {
        if (isProto(r)) {
          app.peerCell(cell, '');
          if (cell.t !== r.protocol) { cell.t = r.protocol; cell.textContent = r.protocol; }
        } else {
          cell.t = undefined;
          app.peerCell(cell, r.peer);
        }
      },
    },
    { key: 'open', title: 'Open', w: 64, align: 'right', sortable: true, text: (r) => (isProto(r) ? fmt.int(r.open) : ''), help: 'streams with status ACTIVE' },
    { key: 'total', title: 'Listed', w: 64, align: 'right', sortable: true, text: (r) => (isProto(r) ? fmt.int(r.streams.length) : ''), help: 'streams in the state, whatever their status' },
    { key: 'peers', title: 'Peers', w: 60, align: 'right', sortable: true, text: (r) => (isProto(r) ? fmt.int(r.peers.size) : '') },
    { key: 'dir', title: 'Dir', w: 112, text: (r) => (isProto(r) ? `↗${r.outbound} ↙${r.inbound}` : r.outbound ? '↗ out' : '↙ in'), tip: (r) => (isProto(r) ? `${r.outbound} opened by us, ${r.inbound} by remotes` : '') },
    { key: 'bytesIn', title: 'In', w: 86, align: 'right', sortable: true, text: (r) => fmt.bytes(r.bytesIn) },
    { key: 'bytesOut', title: 'Out', w: 86, align: 'right', sortable: true, text: (r) => fmt.bytes(r.bytesOut) },
    { key: 'rateIn', title: 'Rate in', w: 104, align: 'right', sortable: true, text: (r) => fmt.rate(r.rateIn), cls: 'c-in' },
    { key: 'rateOut', title: 'Rate out', w: 104, align: 'right', sortable: true, text: (r) => fmt.rate(r.rateOut), cls: 'c-out' },
    { key: 'latency', title: 'Latency', w: 72, align: 'right', text: (r) => (isProto(r) ? '' : fmt.latencyNs(r.latencyNs)) },
    { key: 'age', title: 'Age', w: 70, align: 'right', sortable: true, text: (r) => (isProto(r) ? '' : fmt.duration(ageOf(now, r.openTs, r.closeTs))) },
    {
      key: 'status', title: 'Status', w: 84,
      render: (cell, r) => {
        if (isProto(r)) { if (cell.status !== 'p') { cell.status = 'p'; cell.replaceChildren(); } } else statusPill(app, cell, r.status);
      },
      tip: (r) => (isProto(r) ? '' : r.closeReason || ''),
    },
  ];

  const table = new VTable({
    columns,
    sort,
    rowClass: (r) => (isProto(r) ? 'group' : `child st-${app.statusName(r.status)}`),
    rowPeer: (r) => (isProto(r) ? '' : r.peer),
    rowKey: (r) => (isProto(r) ? r.protocol : ''),
    onSort: (key) => { sort = nextSort(sort, key, SORT_DEFAULTS); table.setSort(sort.key, sort.dir); rebuild(); },
    onRowClick: (r) => {
      if (!isProto(r)) return;
      if (expanded.has(r.key)) expanded.delete(r.key); else expanded.add(r.key);
      rebuild();
    },
    empty: 'No streams listed in this state',
  });

  const count = h('span', { class: 'count' });
  const el = h('section', { class: 'view view-table', dataset: { view: 'streams' } },
    toolbar(
      filterBox('Filter: protocol, peer…', (w) => { words = w; rebuild(); }),
      h('button', { type: 'button', onclick: () => { if (lastView) for (const k of lastView.protocols.keys()) expanded.add(`proto:${k}`); rebuild(); } }, 'Expand all'),
      h('button', { type: 'button', onclick: () => { expanded.clear(); rebuild(); } }, 'Collapse all'),
      count,
    ),
    table.el);

  const protoKey = {
    protocol: (r) => r.protocol,
    open: (r) => r.open,
    total: (r) => r.streams.length,
    peers: (r) => r.peers.size,
    bytesIn: (r) => r.bytesIn,
    bytesOut: (r) => r.bytesOut,
    rateIn: (r) => r.rateIn,
    rateOut: (r) => r.rateOut,
  };
  const streamKey = {
    protocol: (r) => r.peer,
    bytesIn: (r) => r.bytesIn,
    bytesOut: (r) => r.bytesOut,
    rateIn: (r) => r.rateIn,
    rateOut: (r) => r.rateOut,
    age: (r) => -(r.openTs || 0),
  };

  function rebuild() {
    const cur = store.current();
    if (!cur) { table.setRows([]); setText(count, ''); return; }
    const v = cur.view;
    lastView = v;
    now = v.ts;
    const groups = [];
    for (const p of v.protocols.values()) {
      if (!words.length || matches(p.protocol.toLowerCase(), words)) groups.push({ p, streams: p.streams });
      else {
        // A peer filter keeps the protocols that peer speaks, with only its streams.
        const some = p.streams.filter((s) => matches(`${s.protocol} ${s.peer}`.toLowerCase(), words));
        if (some.length) groups.push({ p, streams: some });
      }
    }
    const gk = protoKey[sort.key] || protoKey.rateIn;
    groups.sort((a, b) => {
      const x = gk(a.p);
      const y = gk(b.p);
      return x < y ? -sort.dir : x > y ? sort.dir : a.p.protocol < b.p.protocol ? -1 : 1;
    });
    const sk = streamKey[sort.key] || streamKey.rateIn;
    const flat = [];
    for (const g of groups) {
      flat.push(g.p);
      if (expanded.has(g.p.key)) flat.push(...sortRows(g.streams.slice(), sk, sort.dir, (s) => s.key));
    }
    table.setRows(flat);
    setText(count, `${fmt.int(v.protocols.size)} protocols, ${fmt.int(v.streams.length)} streams`);
  }

  return {
    id: 'streams',
    title: 'Streams',
    el,
    badge: () => {
      const cur = store.current();
      return cur ? fmt.int(cur.view.counts.streams[0]) : '';
    },
    update: rebuild,
    focusFilter: () => el.querySelector('.filter').focus(),
  };
}
