// Connections: one row per connection, updated in place; streams expand
// under their connection. Connections that vanish from the states (the
// 2020 way of saying "closed") stay a few states as fading rows.

import { h, setText } from '../dom.js';
import { VTable } from '../vtable.js';
import * as fmt from '../format.js';
import { statusPill } from '../app.js';
import { filterBox, matches, sortRows, nextSort, toolbar, ageOf, toggle } from './common.js';

const GHOST_STATES = 3;

/** A protocol id without its leading slash ("/yamux/1.0.0" -> "yamux/1.0.0"). */
function bare(id) {
  return id ? id.replace(/^\//, '') : '–';
}

/** A remote multiaddr without its trailing /p2p/<peer> (the Peer column has it). */
function shortAddr(ma, peer) {
  const tail = `/p2p/${peer}`;
  return peer && ma.endsWith(tail) ? ma.slice(0, -tail.length) : ma;
}
const SORT_DEFAULTS = { age: 1, streams: -1, bytesIn: -1, bytesOut: -1, rateIn: -1, rateOut: -1, latency: -1 };

export function connectionsView(app) {
  const store = app.store;
  const expanded = new Set();
  let sort = { key: 'age', dir: 1 };
  let words = [];
  let showClosed = true;
  let ghosts = new Map();
  let lastView = null;
  let now = 0;

  const isConn = (r) => r.kind === 'conn';
  const columns = [
    {
      key: 'exp', title: '', w: 24,
      text: (r) => (isConn(r) && r.streams.length ? (expanded.has(r.key) ? '▾' : '▸') : ''),
      tip: (r) => (isConn(r) && r.streams.length ? 'show or hide its streams' : ''),
      cls: 'exp',
    },
    {
      key: 'peer', title: 'Peer', w: 124, sortable: true,
      render: (cell, r) => (isConn(r) ? app.peerCell(cell, r.peer) : app.peerCell(cell, '')),
    },
    {
      key: 'remote', title: 'Remote address / protocol', w: 220, flex: true, sortable: true, cls: 'mono',
      text: (r) => (isConn(r) ? shortAddr(r.remote, r.peer) || '–' : r.protocol),
      tip: (r) => (isConn(r) ? [r.remote && `remote ${r.remote}`, r.local && `local ${r.local}`, r.relay && `relayed over ${r.relay}`, r.tags.length && `tags: ${r.tags.join(', ')}`].filter(Boolean).join('\n') : r.protocol),
    },
    { key: 'dir', title: 'Dir', w: 62, sortable: true, text: (r) => (r.outbound ? '↗ out' : '↙ in'), tip: (r) => (r.outbound ? 'we opened it (initiator)' : 'the remote opened it (responder)') },
    { key: 'transport', title: 'Transport', w: 104, sortable: true, text: (r) => (isConn(r) ? (r.relay ? `${r.transport || '?'} (relay)` : r.transport || '–') : '') },
    { key: 'security', title: 'Security', w: 90, sortable: true, text: (r) => (isConn(r) ? bare(r.security) : ''), tip: (r) => (isConn(r) ? r.security : '') },
    { key: 'muxer', title: 'Muxer', w: 100, sortable: true, text: (r) => (isConn(r) ? bare(r.muxer) : ''), tip: (r) => (isConn(r) ? r.muxer : '') },
    { key: 'streams', title: 'Streams', w: 80, align: 'right', sortable: true, text: (r) => (isConn(r) ? fmt.int(r.streamCount) : '') },
    { key: 'bytesIn', title: 'In', w: 78, align: 'right', sortable: true, text: (r) => fmt.bytes(r.bytesIn), help: 'bytes received' },
    { key: 'bytesOut', title: 'Out', w: 78, align: 'right', sortable: true, text: (r) => fmt.bytes(r.bytesOut), help: 'bytes sent' },
    { key: 'rateIn', title: 'Rate in', w: 96, align: 'right', sortable: true, text: (r) => fmt.rate(r.rateIn), cls: 'c-in' },
    { key: 'rateOut', title: 'Rate out', w: 96, align: 'right', sortable: true, text: (r) => fmt.rate(r.rateOut), cls: 'c-out' },
    { key: 'latency', title: 'Latency', w: 72, align: 'right', sortable: true, text: (r) => fmt.latencyNs(r.latencyNs) },
    { key: 'age', title: 'Age', w: 84, align: 'right', sortable: true, text: (r) => fmt.duration(ageOf(now, r.openTs, r.closeTs)), tip: (r) => (r.openTs ? `opened ${fmt.dateTime(r.openTs)}${r.closeTs ? `\nclosed ${fmt.dateTime(r.closeTs)}` : ''}` : '') },
    {
      key: 'status', title: 'Status', w: 84, sortable: true,
      render: (cell, r) => statusPill(app, cell, r.gone ? -1 : r.status),
      tip: (r) => (r.gone ? 'no longer in the states: closed' : r.closeReason || ''),
    },
  ];
  const table = new VTable({
    columns,
    sort,
    rowClass: (r) => (isConn(r) ? `st-${app.statusName(r.status)}${r.gone ? ' gone' : ''}${r.fresh ? ' fresh' : ''}` : 'child'),
    rowPeer: (r) => r.peer,
    onSort: (key) => { sort = nextSort(sort, key, SORT_DEFAULTS); table.setSort(sort.key, sort.dir); rebuild(); },
    onRowClick: (r, ev) => {
      if (!isConn(r) || !r.streams.length) return;
      if (expanded.has(r.key)) expanded.delete(r.key); else expanded.add(r.key);
      rebuild();
    },
    empty: 'No connections',
  });
  table.onRowOpacity = (r) => (r.gone ? 0.15 + 0.15 * r.gone : 1);

  const count = h('span', { class: 'count' });
  const el = h('section', { class: 'view view-table', dataset: { view: 'connections' } },
    toolbar(
      filterBox('Filter: peer, address, transport, protocol, status…', (w) => { words = w; rebuild(); }),
      toggle('Closed', showClosed, (on) => { showClosed = on; rebuild(); }, 'show closed and vanished connections'),
      h('button', { type: 'button', onclick: () => { if (lastView) for (const c of lastView.conns) if (c.streams.length) expanded.add(c.key); rebuild(); } }, 'Expand all'),
      h('button', { type: 'button', onclick: () => { expanded.clear(); rebuild(); } }, 'Collapse all'),
      count,
    ),
    table.el);

  function hay(r) {
    if (r.hay === undefined) {
      r.hay = [r.peer, r.remote, r.local, r.transport, r.security, r.muxer, app.statusName(r.status),
        r.outbound ? 'out outbound' : 'in inbound', r.relay ? 'relay' : '', ...r.tags,
        ...r.streams.map((s) => s.protocol)].join(' ').toLowerCase();
    }
    return r.hay;
  }

  const keyOf = {
    peer: (r) => r.peer,
    remote: (r) => r.remote,
    dir: (r) => (r.outbound ? 1 : 0),
    transport: (r) => r.transport,
    security: (r) => r.security,
    muxer: (r) => r.muxer,
    streams: (r) => r.streamCount,
    bytesIn: (r) => r.bytesIn,
    bytesOut: (r) => r.bytesOut,
    rateIn: (r) => r.rateIn,
    rateOut: (r) => r.rateOut,
    latency: (r) => r.latencyNs,
    age: (r) => -(r.openTs || 0),
    status: (r) => (r.gone ? 9 : r.status),
  };

  function rebuild() {
    const cur = store.current();
    if (!cur) {
      table.setRows([]);
      setText(count, '');
      el.dataset.connRows = '0';
      return;
    }
    const v = cur.view;
    now = v.ts;
    if (v !== lastView) {
      if (lastView && v.ts > lastView.ts) {
        for (const [k, g] of ghosts) {
          if (v.connByKey.has(k) || --g.gone <= 0) ghosts.delete(k);
        }
        for (const [k, c] of lastView.connByKey) {
          if (!v.connByKey.has(k) && !ghosts.has(k)) ghosts.set(k, { ...c, gone: GHOST_STATES, hay: undefined });
        }
        for (const c of v.conns) if (!lastView.connByKey.has(c.key)) c.fresh = true;
      } else {
        ghosts = new Map(); // scrubbed back or a new session: nothing vanished yet
      }
      lastView = v;
    }
    let rows = v.conns.filter((r) => (showClosed || r.status === 0 || r.status === 2) && matches(hay(r), words));
    if (showClosed) for (const g of ghosts.values()) if (matches(hay(g), words)) rows.push(g);
    const key = keyOf[sort.key] || keyOf.age;
    sortRows(rows, key, sort.dir, (r) => r.key);
    const flat = [];
    let live = 0;
    for (const r of rows) {
      flat.push(r);
      if (!r.gone) live++;
      if (expanded.has(r.key)) for (const s of r.streams) flat.push(s);
    }
    table.setRows(flat);
    el.dataset.connRows = String(live);
    el.dataset.ts = String(v.ts);
    const total = v.conns.length;
    setText(count, live === total ? `${fmt.int(total)} connections` : `${fmt.int(live)} of ${fmt.int(total)} connections`);
  }

  return {
    id: 'connections',
    title: 'Connections',
    el,
    badge: () => {
      const cur = store.current();
      return cur ? fmt.int(cur.view.counts.conns[0]) : '';
    },
    update: rebuild,
    focusFilter: () => el.querySelector('.filter').focus(),
  };
}
