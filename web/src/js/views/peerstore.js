// The peerstore: every known peer with its addresses, protocols, agent,
// latency and tags.

import { h, setText } from '../dom.js';
import { VTable } from '../vtable.js';
import * as fmt from '../format.js';
import { filterBox, matches, sortRows, nextSort, toolbar, emptyState } from './common.js';

const SORT_DEFAULTS = { addrs: -1, protocols: -1, latency: 1, first: -1, last: -1, connected: -1 };

export function peerstoreView(app) {
  const store = app.store;
  let sort = { key: 'last', dir: -1 };
  let words = [];
  let now = 0;
  let connected = new Map();

  const columns = [
    { key: 'peer', title: 'Peer', w: 124, sortable: true, render: (cell, r) => app.peerCell(cell, r.peer_id) },
    { key: 'connected', title: 'Conns', w: 56, align: 'right', sortable: true, text: (r) => { const n = connected.get(r.peer_id) || 0; return n ? String(n) : ''; }, help: 'connections to this peer in the shown state' },
    { key: 'agent', title: 'Agent', w: 170, sortable: true, text: (r) => r.agent_version || '–', tip: (r) => [r.agent_version, r.protocol_version].filter(Boolean).join('\n') },
    { key: 'addrs', title: 'Addresses', w: 260, flex: true, sortable: true, cls: 'mono', text: (r) => (r.multiaddrs.length ? `${r.multiaddrs[0]}${r.multiaddrs.length > 1 ? `  +${r.multiaddrs.length - 1}` : ''}` : '–'), tip: (r) => r.multiaddrs.join('\n') },
    { key: 'protocols', title: 'Protocols', w: 80, align: 'right', sortable: true, text: (r) => fmt.int(r.protocols.length), tip: (r) => r.protocols.join('\n') },
    { key: 'latency', title: 'Latency', w: 76, align: 'right', sortable: true, text: (r) => fmt.latencyNs(r.latency_ewma_ns), help: 'moving average' },
    { key: 'first', title: 'First seen', w: 86, align: 'right', sortable: true, text: (r) => (r.first_seen_ts ? fmt.duration(now - r.first_seen_ts) : '–'), tip: (r) => fmt.dateTime(r.first_seen_ts) },
    { key: 'last', title: 'Last seen', w: 80, align: 'right', sortable: true, text: (r) => (r.last_seen_ts ? fmt.duration(Math.max(0, now - r.last_seen_ts)) : '–'), tip: (r) => fmt.dateTime(r.last_seen_ts) },
    { key: 'tags', title: 'Tags', w: 160, text: (r) => r.tags.map((t) => `${t.name}=${t.value}`).join(' '), tip: (r) => r.tags.map((t) => `${t.name} = ${t.value}`).join('\n') },
  ];
  const table = new VTable({
    columns,
    sort,
    rowPeer: (r) => r.peer_id,
    rowClass: (r) => (connected.has(r.peer_id) ? '' : 'dim'),
    onSort: (key) => { sort = nextSort(sort, key, SORT_DEFAULTS); table.setSort(sort.key, sort.dir); rebuild(); },
    empty: 'No peers match',
  });

  const count = h('span', { class: 'count' });
  const empty = emptyState('No peerstore in this state', 'The host reports no Subsystems.peerstore.');
  const el = h('section', { class: 'view view-table', dataset: { view: 'peerstore' } },
    toolbar(filterBox('Filter: peer, agent, address, protocol, tag…', (w) => { words = w; rebuild(); }), count),
    table.el, empty);

  const keyOf = {
    peer: (r) => r.peer_id,
    connected: (r) => connected.get(r.peer_id) || 0,
    agent: (r) => r.agent_version,
    addrs: (r) => r.multiaddrs.length,
    protocols: (r) => r.protocols.length,
    latency: (r) => r.latency_ewma_ns || Infinity,
    first: (r) => r.first_seen_ts,
    last: (r) => r.last_seen_ts,
  };
  const hayCache = new WeakMap();
  function hay(r) {
    let s = hayCache.get(r);
    if (s === undefined) {
      s = [r.peer_id, r.agent_version, r.protocol_version, ...r.multiaddrs, ...r.protocols, ...r.tags.map((t) => t.name)].join(' ').toLowerCase();
      hayCache.set(r, s);
    }
    return s;
  }

  function rebuild() {
    const cur = store.current();
    const ps = cur ? cur.view.peerstore : null;
    empty.hidden = !!ps;
    table.el.hidden = !ps;
    if (!ps) { setText(count, ''); return; }
    now = cur.view.ts;
    connected = new Map();
    for (const [peer, p] of cur.view.peers) connected.set(peer, p.conns.filter((c) => c.status === 0).length);
    const rows = ps.peers.filter((r) => !words.length || matches(hay(r), words));
    sortRows(rows, keyOf[sort.key] || keyOf.last, sort.dir, (r) => r.peer_id);
    table.setRows(rows);
    setText(count, rows.length === ps.peers.length ? `${fmt.int(rows.length)} peers` : `${fmt.int(rows.length)} of ${fmt.int(ps.peers.length)} peers`);
  }

  return {
    id: 'peerstore',
    title: 'Peerstore',
    el,
    badge: () => {
      const cur = store.current();
      return cur && cur.view.peerstore ? fmt.int(cur.view.peerstore.peers.length) : '';
    },
    update: rebuild,
    focusFilter: () => el.querySelector('.filter').focus(),
  };
}
