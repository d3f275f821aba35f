// Overview: totals, bandwidth over time, and one card per subsystem the
// host reports (DHT, pubsub, transports, dialer, identify, relay, ping,
// resources, custom values). Cards for absent subsystems are not shown.

import { h, setText, replace } from '../dom.js';
import * as fmt from '../format.js';
import { TimeChart } from '../chart.js';
import { milestonesCard } from './milestones.js';

function tile(label) {
  const value = h('div', { class: 'tile-value' }, '–');
  const sub = h('div', { class: 'tile-sub' });
  const el = h('div', { class: 'tile' }, h('div', { class: 'tile-label' }, label), value, sub);
  return { el, value, sub };
}

function card(title, cls) {
  const body = h('div', { class: 'card-body' });
  const el = h('div', { class: `card ${cls || ''}` }, h('h3', null, title), body);
  return { el, body };
}

function kv(rows) {
  return h('dl', { class: 'kv-list' }, rows.filter(Boolean).map(([k, v, cls]) => [h('dt', null, k), h('dd', { class: cls || null }, v)]));
}

export function overviewView(app) {
  const store = app.store;
  const tiles = {
    peers: tile('Peers'),
    conns: tile('Connections'),
    streams: tile('Streams'),
    bwIn: tile('Receiving'),
    bwOut: tile('Sending'),
    events: tile('Events'),
  };
  tiles.bwIn.el.classList.add('t-in');
  tiles.bwOut.el.classList.add('t-out');
  const chart = new TimeChart({
    series: [{ key: 'in', label: 'in', color: '--in' }, { key: 'out', label: 'out', color: '--out' }],
    format: fmt.rate,
    binary: true,
    onPick: (i) => store.seek(i),
  });
  const errors = h('div', { class: 'provider-errors', hidden: true });
  const top = card('Top peers by traffic', 'top-peers');
  const cards = h('div', { class: 'cards' });
  const el = h('section', { class: 'view view-overview', dataset: { view: 'overview' } },
    errors,
    h('div', { class: 'tiles' }, Object.values(tiles).map((t) => t.el)),
    h('div', { class: 'overview-main' },
      h('div', { class: 'card chart-card' }, h('h3', null, 'Bandwidth'), chart.el),
      top.el),
    cards);

  function statusBreakdown(counts) {
    const parts = [];
    for (let s = 1; s < counts.length; s++) if (counts[s]) parts.push(`${fmt.int(counts[s])} ${app.statusName(s)}`);
    return parts.join(' · ');
  }

  function renderTiles(v) {
    const sum = store.states.length ? store.states[store.cursorIndex()].summary : null;
    setText(tiles.peers.value, fmt.int(v.peers.size));
    setText(tiles.peers.sub, `${fmt.int(v.counts.inbound)} in · ${fmt.int(v.counts.outbound)} out`);
    setText(tiles.conns.value, fmt.int(v.counts.conns[0]));
    setText(tiles.conns.sub, statusBreakdown(v.counts.conns) || 'all active');
    setText(tiles.streams.value, fmt.int(v.counts.streams[0]));
    setText(tiles.streams.sub, statusBreakdown(v.counts.streams) || `${fmt.int(v.protocols.size)} protocols`);
    if (sum) {
      setText(tiles.bwIn.value, fmt.rate(sum.bwIn));
      setText(tiles.bwIn.sub, `${fmt.bytes(sum.cumIn)} total`);
      setText(tiles.bwOut.value, fmt.rate(sum.bwOut));
      setText(tiles.bwOut.sub, `${fmt.bytes(sum.cumOut)} total`);
    }
    setText(tiles.events.value, fmt.count(store.eventsSeen));
    setText(tiles.events.sub, store.droppedEvents ? `${fmt.int(store.droppedEvents)} dropped` : `${store.eventCounts.size} types`);
    tiles.events.el.classList.toggle('warn', store.droppedEvents > 0);
  }

  function renderChart() {
    const pts = store.states.map((s) => ({ ts: s.ts, in: s.summary.bwIn, out: s.summary.bwOut }));
    chart.setData(pts, store.following() ? -1 : store.cursorIndex());
  }

  function renderTop(v) {
    const peers = [...v.peers.values()].sort((a, b) => (b.rateIn + b.rateOut) - (a.rateIn + a.rateOut)).slice(0, 8);
    const max = Math.max(1, ...peers.map((p) => p.rateIn + p.rateOut));
    replace(top.body, peers.length ? peers.map((p) => {
      const bi = h('span', { class: 'tp-in' });
      const bo = h('span', { class: 'tp-out' });
      bi.style.setProperty('--w', `${(p.rateIn / max) * 100}%`);
      bo.style.setProperty('--w', `${(p.rateOut / max) * 100}%`);
      return h('div', { class: 'tp-row', dataset: { peer: p.peer } },
        app.peerChip(p.peer),
        h('span', { class: 'tp-bar' }, bi, bo),
        h('span', { class: 'tp-n c-in' }, fmt.rate(p.rateIn)),
        h('span', { class: 'tp-n c-out' }, fmt.rate(p.rateOut)));
    }) : h('p', { class: 'muted' }, 'No connected peers.'));
  }

  function dhtCard(d, v) {
    const c = card(`DHT ${d.name || ''}`.trim(), 'c-dht');
    const st = [0, 0, 0, 0];
    let n = 0;
    for (const b of d.buckets) for (const p of b.peers) { n++; if (p.status < 4) st[p.status]++; }
    const q = (g) => (g ? `${fmt.int(g.success)} ok · ${fmt.int(g.error)} err · ${fmt.int(g.timeout)} t/o` : '–');
    c.body.append(kv([
      ['protocol', d.protocol || '–', 'mono'],
      ['state', d.enabled ? `enabled${d.start_ts ? `, up ${fmt.duration(v.ts - d.start_ts)}` : ''}` : 'disabled'],
      ['routing table', `${fmt.int(n)} peers in ${d.buckets.length} buckets`],
      ['by status', Object.entries(app.names.dhtStatus).map(([k, name]) => `${st[k]} ${name.toLowerCase()}`).join(' · ')],
      ['queries in', q(d.incoming_queries)],
      ['queries out', q(d.outgoing_queries)],
    ]));
    return c.el;
  }

  function pubsubCard(ps) {
    const c = card('PubSub', 'c-pubsub');
    let mesh = 0;
    let recv = 0;
    let pub = 0;
    let rej = 0;
    for (const t of ps.topics) {
      mesh += t.mesh_peers.length;
      if (t.messages) { recv += t.messages.received; pub += t.messages.published; rej += t.messages.rejected; }
    }
    c.body.append(kv([
      ['router', [ps.router, ps.protocol].filter(Boolean).join(' · ') || '–'],
      ['topics', `${ps.topics.length} (${ps.topics.filter((t) => t.subscribed).length} subscribed)`],
      ['mesh peers', fmt.int(mesh)],
      ['messages', `${fmt.count(recv)} received · ${fmt.count(pub)} published`],
      rej ? ['rejected', fmt.count(rej), 'c-warn'] : null,
    ]));
    return c.el;
  }

  function transportsCard(ts, v) {
    const c = card('Transports', 'c-transports');
    const byName = new Map();
    for (const conn of v.conns) if (conn.status === 0) byName.set(conn.transport, (byName.get(conn.transport) || 0) + 1);
    c.body.append(h('div', { class: 'transports' }, ts.map((t) => h('div', { class: 'transport' },
      h('div', { class: 'tr-head' }, h('b', null, t.name || '?'),
        h('span', { class: `pill ${t.listening ? 'st-active' : 'st-closed'}` }, t.listening ? 'listening' : 'not listening'),
        t.dialing ? h('span', { class: 'pill st-opening' }, 'dials') : null,
        h('span', { class: 'muted' }, `${byName.get(t.name) || 0} conns`)),
      t.listen_multiaddrs.map((a) => h('div', { class: 'mono small' }, a))))));
    return c.el;
  }

  function dialerCard(d) {
    const c = card('Dialer', 'c-dialer');
    const o = d.outcomes || {};
    c.body.append(kv([
      ['in flight', fmt.int(d.in_flight)],
      ['succeeded', fmt.int(o.success || 0)],
      ['failed', fmt.int(o.error || 0), o.error ? 'c-warn' : ''],
      ['timed out', fmt.int(o.timeout || 0)],
      ['canceled', fmt.int(o.canceled || 0)],
      ['backoff', fmt.int(o.backoff || 0)],
    ]));
    if (d.dials.length) {
      c.body.append(h('div', { class: 'dials' }, d.dials.slice(0, 6).map((x) => h('div', { class: 'dial' }, app.peerChip(x.peer_id), h('span', { class: 'mono small' }, x.multiaddr)))));
    }
    return c.el;
  }

  function identifyCard(i) {
    const c = card('Identify', 'c-identify');
    c.body.append(kv([
      ['requests', `${fmt.int(i.requests_in)} in · ${fmt.int(i.requests_out)} out`],
      ['pushes', `${fmt.int(i.pushes_in)} in · ${fmt.int(i.pushes_out)} out`],
      ['errors', fmt.int(i.errors), i.errors ? 'c-warn' : ''],
    ]));
    return c.el;
  }

  function relayCard(r) {
    const c = card('Relay & hole punching', 'c-relay');
    const hp = r.hole_punch_attempts ? ` (${Math.round((r.hole_punch_successes / r.hole_punch_attempts) * 100)}%)` : '';
    c.body.append(kv([
      ['reservations', `${fmt.int(r.reservations_active)} active · ${fmt.int(r.reservations_total)} total`],
      ['circuits', `${fmt.int(r.circuits_active)} active · ${fmt.int(r.circuits_total)} total`],
      ['hole punches', `${fmt.int(r.hole_punch_successes)}/${fmt.int(r.hole_punch_attempts)} succeeded${hp}`],
      ['failures', fmt.int(r.hole_punch_failures), r.hole_punch_failures ? 'c-warn' : ''],
    ]));
    return c.el;
  }

  function pingCard(p) {
    const c = card('Ping', 'c-ping');
    c.body.append(kv([['sent', fmt.int(p.pings_sent)], ['failures', fmt.int(p.failures), p.failures ? 'c-warn' : '']]));
    const peers = p.peers.slice().sort((a, b) => a.avg_rtt_ns - b.avg_rtt_ns).slice(0, 6);
    if (peers.length) {
      c.body.append(h('div', { class: 'pings' }, peers.map((x) => h('div', { class: 'ping' }, app.peerChip(x.peer_id),
        h('span', { class: 'num' }, fmt.latencyNs(x.last_rtt_ns)), h('span', { class: 'muted num' }, `avg ${fmt.latencyNs(x.avg_rtt_ns)}`)))));
    }
    return c.el;
  }

  function resourcesCard(rm) {
    const c = card('Resources', 'c-resources');
    const names = app.names.scopeKind;
    const SYSTEM = app.codec.enumValues('ResourceManager.ScopeKind').SYSTEM;
    const sys = rm.scopes.find((s) => s.kind === SYSTEM) || rm.scopes[0];
    if (!sys) { c.body.append(h('p', { class: 'muted' }, 'no scopes')); return c.el; }
    const rows = [['conns_in', 'conns in', fmt.int], ['conns_out', 'conns out', fmt.int], ['streams_in', 'streams in', fmt.int], ['streams_out', 'streams out', fmt.int], ['memory', 'memory', fmt.bytes], ['fds', 'fds', fmt.int]];
    c.body.append(h('div', { class: 'muted small' }, `${(names[sys.kind] || '').toLowerCase()} scope ${sys.name || ''}`));
    for (const [k, label, f] of rows) {
      const use = sys.usage ? sys.usage[k] : 0;
      const lim = sys.limit ? sys.limit[k] : 0;
      const frac = lim ? use / lim : 0;
      const fill = h('span', { class: `bar-fill ${!lim ? 'nolimit' : frac >= 0.9 ? 'hot' : frac >= 0.7 ? 'warm' : 'ok'}` });
      fill.style.setProperty('--w', `${Math.min(100, frac * 100)}%`);
      c.body.append(h('div', { class: 'res-row' }, h('span', { class: 'res-k' }, label), h('span', { class: 'bar' }, fill, h('span', { class: 'bar-text' }, `${f(use)} / ${lim ? f(lim) : '∞'}`))));
    }
    return c.el;
  }

  function customCard(sec) {
    const c = card(sec.name || 'Custom', 'c-custom');
    c.body.append(kv(sec.values.map((v) => {
      let text;
      if (v.value === 'number') text = Number.isInteger(v.number) ? fmt.int(v.number) : String(Number(v.number.toPrecision(6)));
      else if (v.value === 'integer') text = fmt.int(v.integer);
      else if (v.value === 'json') text = v.json;
      else text = v.text;
      return [v.name, text, v.value === 'json' ? 'mono' : v.value === 'text' ? '' : 'num'];
    })));
    return c.el;
  }

  function renderCards(v, state) {
    const list = [];
    const durations = milestonesCard(state, store.runtime);
    if (durations) list.push(durations);
    for (const d of v.dhts) list.push(dhtCard(d, v));
    if (v.pubsub) list.push(pubsubCard(v.pubsub));
    if (v.transports.length) list.push(transportsCard(v.transports, v));
    if (v.dialer) list.push(dialerCard(v.dialer));
    if (v.identify) list.push(identifyCard(v.identify));
    if (v.relay) list.push(relayCard(v.relay));
    if (v.ping) list.push(pingCard(v.ping));
    if (v.resources) list.push(resourcesCard(v.resources));
    for (const s of v.custom) list.push(customCard(s));
    cards.replaceChildren(...list);
  }

  function renderErrors(v) {
    errors.hidden = !v.providerErrors.length;
    replace(errors, v.providerErrors.map((e) => h('div', { class: 'perr' },
      h('b', null, `${e.provider || '?'} (${e.subsystem || '?'})`), ` failed: ${e.error || 'no reason given'}`, e.code ? h('span', { class: 'muted' }, ` [${e.code}]`) : null)));
  }

  let lastView = null;
  function update() {
    const cur = store.current();
    renderChart();
    if (!cur) return;
    const v = cur.view;
    renderTiles(v);
    if (v === lastView) return;
    lastView = v;
    renderTop(v);
    renderCards(v, cur.state);
    renderErrors(v);
  }

  return { id: 'overview', title: 'Overview', el, badge: () => '', update };
}
