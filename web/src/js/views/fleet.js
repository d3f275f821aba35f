// Fleet mode (the page on peerscope-hub's /introspect): one row per node,
// sortable like a spreadsheet, each derived duration its own column; a
// click opens the node's own page through the hub. Below, the events of
// every node, newest first, filterable by node, type and text.
//
// Both tables are virtualised (vtable.js) and redrawn at most once per
// animation frame by the caller, so a hundred nodes and a few hundred
// events a second cost a few cell writes per frame.

import { h, setText } from '../dom.js';
import { VTable } from '../vtable.js';
import * as fmt from '../format.js';
import { milestoneLabel } from '../alerts.js';
import { took } from './milestones.js';
import { filterBox, matches, sortRows, nextSort, toolbar, terms } from './common.js';

const SORT_DEFAULTS = { status: 1, peers: -1, conns: -1, streams: -1, rateIn: -1, rateOut: -1, alerts: -1, lastSeq: -1, dropped: -1, reconnects: -1 };
const MS_PREFIX = 'ms:';

/** A milestone's column title: "first peer", "8 peers", "sync completed". */
function msTitle(name) {
  const m = /^peers_(\d+)$/.exec(name);
  if (m) return `${m[1]} peers`;
  return name === 'first_peer' ? 'first peer' : name.replace(/_/g, ' ');
}

/**
 * opts: fleet (FleetModel), open(row) (go to the node's page), now() (epoch ms).
 * Returns {el, update(), rowsShown()}.
 */
export function fleetView(opts) {
  const model = opts.fleet;
  let sort = { key: 'name', dir: 1 };
  let words = [];
  let msShown = '';
  let now = Date.now();

  const alertsCell = (cell, r) => {
    const key = `${r.crit}/${r.warn}/${r.info}`;
    if (cell.key === key) return;
    cell.key = key;
    const part = (n, cls, what) => h('span', { class: `fa ${cls}${n ? '' : ' zero'}`, title: `${n} ${what}` }, String(n || 0));
    cell.replaceChildren(part(r.crit, 'sev-critical', 'critical'), part(r.warn, 'sev-warning', 'warning'), part(r.info, 'sev-info', 'info'));
  };
  const statusCell = (cell, r) => {
    const key = `${r.up}`;
    if (cell.key === key) return;
    cell.key = key;
    cell.replaceChildren(h('span', { class: `pill ${r.up ? 'st-active' : 'st-error'}` }, r.up ? 'up' : 'down'));
  };

  function baseColumns() {
    return [
      { key: 'name', title: 'Node', w: 130, sortable: true, cls: 'fleet-name', text: (r) => r.name, tip: (r) => `${r.name}\n${r.source || ''}\n(click: open this node)` },
      {
        key: 'status', title: 'Status', w: 70, sortable: true, render: statusCell,
        tip: (r) => `${r.up ? 'up' : 'down'} since ${fmt.dateTime(r.since)}${r.error ? `\n${r.error}` : ''}`,
      },
      { key: 'since', title: 'Since', w: 74, align: 'right', sortable: true, text: (r) => (r.since ? fmt.duration(now - r.since) : '–'), tip: (r) => fmt.dateTime(r.since) },
      { key: 'error', title: 'Error', w: 130, sortable: true, cls: 'fleet-error', text: (r) => (r.up ? '' : r.error || ''), tip: (r) => r.error || '' },
      { key: 'peer', title: 'Peer id', w: 104, sortable: true, cls: 'mono', text: (r) => (r.peer ? fmt.shortPeer(r.peer) : '–'), tip: (r) => r.peer || '' },
      { key: 'impl', title: 'Implementation', w: 150, sortable: true, text: (r) => r.impl || '–', tip: (r) => [r.impl, r.platform].filter(Boolean).join('\n') },
      { key: 'peers', title: 'Peers', w: 62, align: 'right', sortable: true, text: (r) => fmt.int(r.peers) },
      { key: 'conns', title: 'Conns', w: 62, align: 'right', sortable: true, text: (r) => fmt.int(r.conns) },
      { key: 'streams', title: 'Streams', w: 78, align: 'right', sortable: true, text: (r) => fmt.int(r.streams) },
      { key: 'rateIn', title: 'In', w: 88, align: 'right', sortable: true, cls: 'c-in', text: (r) => fmt.rate(r.rateIn), help: 'bytes/s in, over all connections' },
      { key: 'rateOut', title: 'Out', w: 88, align: 'right', sortable: true, cls: 'c-out', text: (r) => fmt.rate(r.rateOut), help: 'bytes/s out' },
      { key: 'alerts', title: 'Alerts', w: 112, sortable: true, render: alertsCell, help: 'firing: critical / warning / info' },
    ];
  }
  function tailColumns() {
    return [
      { key: 'lastSeq', title: 'Last seq', w: 80, align: 'right', sortable: true, text: (r) => fmt.int(r.lastSeq), tip: (r) => `${fmt.int(r.events)} events received` },
      { key: 'dropped', title: 'Dropped', w: 84, align: 'right', sortable: true, text: (r) => fmt.int(r.dropped), help: 'events the node lost before the hub got them' },
      { key: 'reconnects', title: 'Reconnects', w: 96, align: 'right', sortable: true, text: (r) => fmt.int(r.reconnects), help: 'times its link came back' },
    ];
  }
  function msColumn(name) {
    return {
      key: `${MS_PREFIX}${name}`, title: msTitle(name), w: 104, align: 'right', sortable: true, help: milestoneLabel(name),
      text: (r) => { const m = r.ms.get(name); return m ? took(Number(m.duration_ms) || 0) : ''; },
      tip: (r) => { const m = r.ms.get(name); return m ? `${milestoneLabel(name)} after ${m.from ? milestoneLabel(m.from) : 'start'}` : ''; },
    };
  }
  const columns = () => [...baseColumns(), ...model.milestones.map(msColumn), ...tailColumns()];

  const keyOf = {
    name: (r) => r.name,
    status: (r) => (r.up ? 0 : 1),
    since: (r) => -(r.since || 0),
    error: (r) => r.error || '',
    peer: (r) => r.peer || '',
    impl: (r) => r.impl || '',
    peers: (r) => r.peers,
    conns: (r) => r.conns,
    streams: (r) => r.streams,
    rateIn: (r) => r.rateIn,
    rateOut: (r) => r.rateOut,
    alerts: (r) => r.crit * 1e12 + r.warn * 1e6 + r.info,
    lastSeq: (r) => r.lastSeq,
    dropped: (r) => r.dropped,
    reconnects: (r) => r.reconnects,
  };
  function sortKey(key) {
    if (keyOf[key]) return keyOf[key];
    if (key.startsWith(MS_PREFIX)) {
      const name = key.slice(MS_PREFIX.length);
      // a node that has not reached it sorts after every one that has
      return (r) => { const m = r.ms.get(name); return m ? Number(m.duration_ms) || 0 : Infinity; };
    }
    return keyOf.name;
  }

  const nodes = new VTable({
    columns: columns(),
    sort,
    rowClass: (r) => (r.up ? 'fleet-row' : 'fleet-row down'),
    rowKey: (r) => r.name,
    rowPeer: (r) => r.peer,
    onSort: (key) => { sort = nextSort(sort, key, SORT_DEFAULTS); nodes.setSort(sort.key, sort.dir); rebuild(); },
    onRowClick: (r) => opts.open(r),
    empty: 'The hub reports no nodes',
  });
  nodes.el.classList.add('fleet-nodes');

  const count = h('span', { class: 'count' });
  const totals = h('span', { class: 'kv fleet-totals' });
  const top = h('div', { class: 'fleet-part fleet-top' },
    toolbar(h('b', null, 'Fleet'), filterBox('Filter nodes: name, peer id, implementation, error…', (w) => { words = w; rebuild(); }), totals, count),
    nodes.el);

  // ---------------------------------------------------------------- events
  let evNode = '';
  let evType = '';
  let evWords = [];
  const nodeSel = h('select', { class: 'fleet-ev-node', 'aria-label': 'events of node' });
  const typeSel = h('select', { class: 'fleet-ev-type', 'aria-label': 'events of type' });
  const evText = h('input', { type: 'search', class: 'filter fleet-ev-text', placeholder: 'Filter events: any text…', spellcheck: 'false', autocomplete: 'off', 'aria-label': 'filter events' });
  nodeSel.addEventListener('change', () => { evNode = nodeSel.value; rebuildEvents(); });
  typeSel.addEventListener('change', () => { evType = typeSel.value; rebuildEvents(); });
  evText.addEventListener('input', () => { evWords = terms(evText.value); rebuildEvents(); });
  const evCount = h('span', { class: 'count' });
  const events = new VTable({
    columns: [
      { key: 'time', title: 'Time', w: 104, cls: 'mono', text: (e) => fmt.clockMs(e.ts), tip: (e) => `${fmt.dateTime(e.ts)}${e.seq ? `\nseq ${e.seq}` : ''}` },
      { key: 'node', title: 'Node', w: 120, text: (e) => e.node || '–' },
      { key: 'type', title: 'Type', w: 170, text: (e) => e.type || '(unnamed)' },
      { key: 'content', title: 'Content', w: 300, flex: true, cls: 'mono', text: (e) => e.content, tip: (e) => e.content },
    ],
    rowKey: (e) => e.node,
    empty: 'No events yet',
  });
  events.el.classList.add('fleet-events');
  const bottom = h('div', { class: 'fleet-part fleet-bottom' },
    toolbar(h('b', null, 'Events'), nodeSel, typeSel, evText, evCount), events.el);

  const el = h('section', { class: 'view view-fleet', dataset: { view: 'fleet' } }, top, bottom);

  /** Keep a select's options equal to names (sorted), the choice kept. */
  function fillSelect(sel, names, all) {
    const list = [...names].sort();
    const key = list.join('\n');
    if (sel.key === key) return;
    sel.key = key;
    const v = sel.value;
    sel.replaceChildren(h('option', { value: '' }, all), ...list.map((n) => h('option', { value: n }, n)));
    sel.value = list.includes(v) ? v : '';
  }

  function hay(r) {
    if (r.hay === undefined) r.hay = [r.name, r.peer, r.impl, r.platform, r.error, r.source, r.up ? 'up' : 'down'].join(' ').toLowerCase();
    return r.hay;
  }

  function rebuild() {
    now = opts.now();
    const msKey = model.milestones.join('\n');
    if (msKey !== msShown) {
      msShown = msKey;
      nodes.setColumns(columns());
    }
    const rows = model.rows.filter((r) => matches(hay(r), words));
    sortRows(rows, sortKey(sort.key), sort.dir, (r) => r.i);
    nodes.setRows(rows);
    nodes.refresh();
    const t = model.totals();
    setText(totals, `${fmt.int(t.up)} up, ${fmt.int(t.nodes - t.up)} down · ${fmt.int(t.peers)} peers · ${fmt.int(t.conns)} connections${t.crit ? ` · ${fmt.int(t.crit)} critical` : ''}`);
    setText(count, rows.length === model.rows.length ? `${fmt.int(rows.length)} nodes` : `${fmt.int(rows.length)} of ${fmt.int(model.rows.length)} nodes`);
    el.dataset.nodes = String(model.rows.length);
    el.dataset.up = String(t.up);
    el.dataset.order = rows.map((r) => r.name).join(' ');
    rebuildEvents();
  }

  function rebuildEvents() {
    fillSelect(nodeSel, model.nodeNames, 'every node');
    fillSelect(typeSel, model.typeNames, 'every type');
    evNode = nodeSel.value;
    evType = typeSel.value;
    const out = model.filtered(evNode, evType, evWords);
    events.setRows(out);
    setText(evCount, `${fmt.int(out.length)} of ${fmt.int(model.events.length)} events`);
    el.dataset.events = String(out.length);
  }

  return {
    el,
    update: rebuild,
    updateEvents: rebuildEvents,
    focusFilter: () => top.querySelector('.filter').focus(),
  };
}
