// Pubsub topics with their mesh peers (score, time in mesh) and fanout
// peers expandable underneath.

import { h, setText } from '../dom.js';
import { VTable } from '../vtable.js';
import * as fmt from '../format.js';
import { filterBox, matches, nextSort, toolbar, emptyState } from './common.js';

const SORT_DEFAULTS = { peers: -1, mesh: -1, fanout: -1, received: -1, sent: -1, published: -1, forwarded: -1, rejected: -1, duplicate: -1, bytesIn: -1, bytesOut: -1 };

function scoreBar(cell, score, lo, hi) {
  if (cell.score === score) return;
  cell.score = score;
  const span = Math.max(Math.abs(lo), Math.abs(hi), 1);
  const bar = h('span', { class: `score ${score < 0 ? 'neg' : 'pos'}` });
  bar.style.setProperty('--w', `${Math.min(50, (Math.abs(score) / span) * 50)}%`);
  cell.replaceChildren(h('span', { class: 'score-track' }, bar), h('span', { class: 'score-n' }, score.toFixed(2)));
}

export function pubsubView(app) {
  const store = app.store;
  const expanded = new Set();
  let sort = { key: 'peers', dir: -1 };
  let words = [];
  let lastTopics = [];
  let scoreRange = [0, 0];

  const counter = (name, which) => (r) => (r.kind === 'topic' && r.t[which] ? fmt.count(r.t[which][name]) : '');
  const columns = [
    { key: 'exp', title: '', w: 24, cls: 'exp', text: (r) => (r.kind === 'topic' && (r.t.mesh_peers.length || r.t.fanout_peers.length) ? (expanded.has(r.key) ? '▾' : '▸') : '') },
    {
      key: 'name', title: 'Topic / peer', w: 220, flex: true, sortable: true, cls: 'mono',
      render: (cell, r) => {
        if (r.kind === 'topic') {
          app.peerCell(cell, '');
          if (cell.t !== r.t.name) { cell.t = r.t.name; cell.textContent = r.t.name; }
        } else {
          cell.t = undefined;
          app.peerCell(cell, r.peer);
        }
      },
      tip: (r) => (r.kind === 'topic' ? r.t.name : ''),
    },
    { key: 'sub', title: 'Sub', w: 44, text: (r) => (r.kind === 'topic' ? (r.t.subscribed ? '✓' : '') : r.kind), help: 'we are subscribed' },
    { key: 'peers', title: 'Peers', w: 66, align: 'right', sortable: true, text: (r) => (r.kind === 'topic' ? fmt.int(r.t.peer_count) : '') },
    { key: 'mesh', title: 'Mesh', w: 60, align: 'right', sortable: true, text: (r) => (r.kind === 'topic' ? fmt.int(r.t.mesh_peers.length) : '') },
    { key: 'fanout', title: 'Fanout', w: 66, align: 'right', sortable: true, text: (r) => (r.kind === 'topic' ? fmt.int(r.t.fanout_peers.length) : '') },
    {
      key: 'score', title: 'Score', w: 130,
      render: (cell, r) => {
        if (r.kind === 'mesh') scoreBar(cell, r.score, scoreRange[0], scoreRange[1]);
        else if (cell.score !== undefined) { cell.score = undefined; cell.replaceChildren(); }
      },
    },
    { key: 'inmesh', title: 'In mesh', w: 70, align: 'right', text: (r) => (r.kind === 'mesh' ? fmt.duration(r.time) : '') },
    { key: 'received', title: 'Msgs in', w: 80, align: 'right', sortable: true, text: counter('received', 'messages') },
    { key: 'sent', title: 'Msgs out', w: 84, align: 'right', sortable: true, text: counter('sent', 'messages') },
    { key: 'published', title: 'Published', w: 88, align: 'right', sortable: true, text: counter('published', 'messages') },
    { key: 'forwarded', title: 'Forwarded', w: 92, align: 'right', sortable: true, text: counter('forwarded', 'messages') },
    { key: 'rejected', title: 'Rejected', w: 82, align: 'right', sortable: true, text: counter('rejected', 'messages'), cls: 'c-warn' },
    { key: 'duplicate', title: 'Dup', w: 60, align: 'right', sortable: true, text: counter('duplicate', 'messages') },
    { key: 'bytesIn', title: 'Bytes in', w: 86, align: 'right', sortable: true, text: (r) => (r.kind === 'topic' && r.t.bytes ? fmt.bytes(r.t.bytes.received) : '') },
    { key: 'bytesOut', title: 'Bytes out', w: 92, align: 'right', sortable: true, text: (r) => (r.kind === 'topic' && r.t.bytes ? fmt.bytes(r.t.bytes.sent) : '') },
  ];

  const table = new VTable({
    columns,
    sort,
    rowClass: (r) => (r.kind === 'topic' ? (r.t.subscribed ? 'group' : 'group dim') : 'child'),
    rowPeer: (r) => r.peer || '',
    rowKey: (r) => (r.kind === 'topic' ? r.t.name : ''),
    onSort: (key) => { sort = nextSort(sort, key, SORT_DEFAULTS); table.setSort(sort.key, sort.dir); rebuild(); },
    onRowClick: (r) => {
      if (r.kind !== 'topic') return;
      if (expanded.has(r.key)) expanded.delete(r.key); else expanded.add(r.key);
      rebuild();
    },
    empty: 'No topics',
  });

  const router = h('span', { class: 'kv' });
  const count = h('span', { class: 'count' });
  const empty = emptyState('No pubsub in this state', 'The host reports no Subsystems.pubsub.');
  const el = h('section', { class: 'view view-table', dataset: { view: 'pubsub' } },
    toolbar(
      filterBox('Filter: topic, peer…', (w) => { words = w; rebuild(); }),
      h('button', { type: 'button', onclick: () => { for (const t of lastTopics) expanded.add(`t:${t.name}`); rebuild(); } }, 'Expand all'),
      h('button', { type: 'button', onclick: () => { expanded.clear(); rebuild(); } }, 'Collapse all'),
      router, count),
    table.el, empty);

  const keyOf = {
    name: (t) => t.name,
    peers: (t) => t.peer_count,
    mesh: (t) => t.mesh_peers.length,
    fanout: (t) => t.fanout_peers.length,
    bytesIn: (t) => (t.bytes ? t.bytes.received : 0),
    bytesOut: (t) => (t.bytes ? t.bytes.sent : 0),
  };
  for (const k of ['received', 'sent', 'published', 'forwarded', 'rejected', 'duplicate']) keyOf[k] = (t) => (t.messages ? t.messages[k] : 0);

  function rebuild() {
    const cur = store.current();
    const ps = cur ? cur.view.pubsub : null;
    empty.hidden = !!ps;
    table.el.hidden = !ps;
    if (!ps) { setText(router, ''); setText(count, ''); return; }
    lastTopics = ps.topics;
    setText(router, [ps.router, ps.protocol].filter(Boolean).join(' · '));
    let lo = 0;
    let hi = 0;
    for (const t of ps.topics) for (const m of t.mesh_peers) { lo = Math.min(lo, m.score); hi = Math.max(hi, m.score); }
    scoreRange = [lo, hi];
    const key = keyOf[sort.key] || keyOf.peers;
    const topics = ps.topics.filter((t) => !words.length || matches([t.name, ...t.mesh_peers.map((m) => m.peer_id), ...t.fanout_peers].join(' ').toLowerCase(), words));
    topics.sort((a, b) => {
      const x = key(a);
      const y = key(b);
      return x < y ? -sort.dir : x > y ? sort.dir : a.name < b.name ? -1 : 1;
    });
    const flat = [];
    for (const t of topics) {
      const k = `t:${t.name}`;
      flat.push({ kind: 'topic', key: k, t });
      if (!expanded.has(k)) continue;
      const mesh = t.mesh_peers.slice().sort((a, b) => b.score - a.score);
      for (const m of mesh) flat.push({ kind: 'mesh', key: `${k}/m/${m.peer_id}`, peer: m.peer_id, score: m.score, time: m.time_in_mesh_ms });
      for (const p of t.fanout_peers) flat.push({ kind: 'fanout', key: `${k}/f/${p}`, peer: p });
    }
    table.setRows(flat);
    setText(count, `${fmt.int(ps.topics.length)} topics, ${fmt.int(ps.topics.filter((t) => t.subscribed).length)} subscribed`);
  }

  return {
    id: 'pubsub',
    title: 'PubSub',
    el,
    badge: () => {
      const cur = store.current();
      return cur && cur.view.pubsub ? fmt.int(cur.view.pubsub.topics.length) : '';
    },
    update: rebuild,
    focusFilter: () => el.querySelector('.filter').focus(),
  };
}
