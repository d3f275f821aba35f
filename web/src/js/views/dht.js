// The DHT routing table as a grid: one row per bucket (common prefix
// length with our key), one cell per peer coloured by its status. Cells
// flash when InboundDHTQuery / OutboundDHTQuery events name their peers
// (the content's peerIds), like the 2020 visualizer.

import { h, cssVar, frameThrottle } from '../dom.js';
import * as fmt from '../format.js';
import { emptyState } from './common.js';

const QUERY_EVENTS = { InboundDHTQuery: 'in', OutboundDHTQuery: 'out' };
const RECENT = 60;

export function dhtView(app) {
  const store = app.store;
  let which = 0;
  let visible = false;
  let flashes = 0;
  const cells = new Map(); // peer id -> cell element (reused across states)

  const picker = h('div', { class: 'seg' });
  const info = h('div', { class: 'dht-info' });
  const grid = h('div', { class: 'dht-grid', role: 'grid', 'aria-label': 'routing table buckets' });
  const legend = h('div', { class: 'legend' });
  for (const name of Object.values(app.names.dhtStatus)) {
    legend.append(h('span', { class: `lg-cell dht-${name.toLowerCase()}` }), h('span', null, name.toLowerCase(), ' '));
  }
  legend.append(h('span', { class: 'lg-cell dht-connected' }), h('span', null, 'connected now'));
  const recentList = h('div', { class: 'dht-recent' });
  const empty = emptyState('No DHT in this state', 'The host reports no Subsystems.dht (or it is disabled).');
  const body = h('div', { class: 'dht-body' },
    h('div', { class: 'dht-main' }, h('div', { class: 'panel-head' }, h('h3', null, 'Routing table'), legend), grid),
    h('div', { class: 'dht-side' }, h('div', { class: 'panel-head' }, h('h3', null, 'Recent queries')), recentList));
  const el = h('section', { class: 'view view-dht', dataset: { view: 'dht' } }, h('div', { class: 'dht-top' }, picker, info), body, empty);

  function gaugeText(q) {
    if (!q) return '–';
    return `${fmt.int(q.success)} ok · ${fmt.int(q.error)} err · ${fmt.int(q.timeout)} timeout`;
  }

  function render() {
    const cur = store.current();
    const dhts = cur ? cur.view.dhts : [];
    empty.hidden = dhts.length > 0;
    body.hidden = dhts.length === 0;
    if (!dhts.length) { picker.replaceChildren(); info.replaceChildren(); return; }
    if (which >= dhts.length) which = 0;
    if (dhts.length > 1 || picker.childElementCount !== dhts.length) {
      picker.replaceChildren(...dhts.map((d, i) => h('button', {
        type: 'button',
        'aria-pressed': String(i === which),
        onclick: () => { which = i; render(); },
      }, d.name || d.protocol || `dht ${i + 1}`)));
      picker.hidden = dhts.length < 2;
    }
    const d = dhts[which];
    const v = cur.view;
    const counts = [0, 0, 0, 0];
    let total = 0;
    for (const b of d.buckets) for (const p of b.peers) { total++; if (p.status < 4) counts[p.status]++; }
    const params = d.params ? `k=${d.params.k} α=${d.params.alpha} β=${d.params.beta} disjoint=${d.params.disjoint_paths}` : '';
    info.replaceChildren(
      h('span', { class: 'kv' }, h('b', null, d.protocol || '(protocol not given)'), d.enabled ? '' : h('span', { class: 'pill st-closed' }, 'disabled')),
      params ? h('span', { class: 'kv mono' }, params) : null,
      d.start_ts ? h('span', { class: 'kv' }, `running ${fmt.duration(v.ts - d.start_ts)}`) : null,
      h('span', { class: 'kv' }, `${fmt.int(total)} peers in ${d.buckets.length} buckets`),
      h('span', { class: 'kv' }, 'queries in: ', h('span', { class: 'mono' }, gaugeText(d.incoming_queries))),
      h('span', { class: 'kv' }, 'out: ', h('span', { class: 'mono' }, gaugeText(d.outgoing_queries))),
    );
    const k = d.params && d.params.k ? Number(d.params.k) : 20;
    const buckets = d.buckets.slice().sort((a, b) => a.cpl - b.cpl);
    const maxCpl = buckets.length ? buckets[buckets.length - 1].cpl : -1;
    const byCpl = new Map(buckets.map((b) => [b.cpl, b]));
    const rows = [];
    const live = new Set();
    for (let cpl = 0; cpl <= maxCpl; cpl++) {
      const b = byCpl.get(cpl);
      const peers = b ? b.peers : [];
      const rowCells = [];
      for (const p of peers) {
        live.add(p.peer_id);
        let c = cells.get(p.peer_id);
        if (!c) {
          c = h('span', { class: 'dht-peer', role: 'gridcell', dataset: { peer: p.peer_id } });
          c.addEventListener('click', () => app.selectPeer(c.dataset.peer));
          cells.set(p.peer_id, c);
        }
        const st = (app.names.dhtStatus[p.status] || 'active').toLowerCase();
        const cls = `dht-peer dht-${st}${v.peers.has(p.peer_id) ? ' connected' : ''}`;
        if (c.className !== cls) c.className = cls;
        const tip = `${p.peer_id}\n${st}, in bucket ${fmt.duration(p.age_in_bucket)}`;
        if (c.title !== tip) c.title = tip;
        rowCells.push(c);
      }
      for (let i = peers.length; i < k; i++) rowCells.push(h('span', { class: 'dht-slot' }));
      rows.push(h('div', { class: 'dht-row', role: 'row', dataset: { cpl: String(cpl) } },
        h('span', { class: 'dht-cpl', title: `bucket of peers sharing ${cpl} leading bits with our key` }, `${cpl}`),
        h('span', { class: 'dht-cells' }, rowCells),
        h('span', { class: 'dht-n' }, `${peers.length}/${k}`)));
    }
    for (const id of cells.keys()) if (!live.has(id)) cells.delete(id);
    grid.replaceChildren(h('div', { class: 'dht-row dht-hrow' }, h('span', { class: 'dht-cpl' }, 'cpl'), h('span', { class: 'dht-cells' }, 'peers by status'), h('span', { class: 'dht-n' }, 'n/k')), ...rows);
    grid.dataset.peers = String(total);
    renderRecent();
  }

  function renderRecent() {
    const out = [];
    const upTo = store.cursorTs();
    for (let i = store.events.length - 1; i >= 0 && out.length < RECENT; i--) {
      const e = store.events[i];
      const dir = QUERY_EVENTS[e.type];
      if (!dir || e.ts > upTo) continue;
      const c = store.eventContent(e) || {};
      const ids = Array.isArray(c.peerIds) ? c.peerIds.filter(Boolean) : [];
      const res = String(c.result || '');
      out.push(h('div', {
        class: `q q-${dir}`,
        title: `${e.type}${c.targetPeerId ? `\ntarget ${c.targetPeerId}` : ''}${c.type ? `\ntype ${c.type}` : ''}\n${ids.length} peers (click to flash them)`,
        onclick: () => flash(ids, dir),
      },
      h('span', { class: 'q-time mono' }, fmt.clock(e.ts)),
      h('span', { class: 'q-dir' }, dir === 'in' ? '↙ in' : '↗ out'),
      h('span', { class: `q-res ${res.toLowerCase()}` }, res || '–'),
      h('span', { class: 'q-meta' }, [c.totalSteps != null ? `${c.totalSteps} steps` : '', c.totalTimeMs != null ? `${c.totalTimeMs} ms` : '', `${ids.length} peers`].filter(Boolean).join(' · '))));
    }
    recentList.replaceChildren(...(out.length ? out : [h('p', { class: 'muted' }, 'No InboundDHTQuery / OutboundDHTQuery events yet.')]));
  }

  function flash(ids, dir) {
    const color = cssVar(`--flash-${dir}`);
    for (const id of ids) {
      const c = cells.get(id);
      if (!c || !c.isConnected) continue;
      flashes++;
      c.animate([
        { transform: 'scale(1.7)', boxShadow: `0 0 0 3px ${color}` },
        { transform: 'scale(1)', boxShadow: '0 0 0 0 transparent' },
      ], { duration: 900, easing: 'ease-out' });
    }
    grid.dataset.flashes = String(flashes);
  }
  const recentSoon = frameThrottle(() => { if (visible) renderRecent(); });

  store.subscribe((change) => {
    if (!change.event || !visible || !store.following()) return;
    const dir = QUERY_EVENTS[change.event.type];
    if (!dir) return;
    const c = store.eventContent(change.event);
    if (c && Array.isArray(c.peerIds)) flash(c.peerIds.filter((x) => typeof x === 'string'), dir);
    recentSoon();
  });

  return {
    id: 'dht',
    title: 'DHT',
    el,
    badge: () => {
      const cur = store.current();
      if (!cur || !cur.view.dhts.length) return '';
      let n = 0;
      for (const b of cur.view.dhts[0].buckets) n += b.peers.length;
      return fmt.int(n);
    },
    update: render,
    show: () => { visible = true; },
    hide: () => { visible = false; },
  };
}
