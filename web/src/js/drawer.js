// The selected peer, everywhere at once: its connections and streams, its
// DHT bucket, pubsub topics, peerstore entry, ping and recent events.

import { h, copyText } from './dom.js';
import * as fmt from './format.js';
import { statusPill } from './app.js';

const RECENT_EVENTS = 12;

export function createDrawer(app) {
  const store = app.store;
  const el = document.getElementById('drawer');

  function section(title, ...body) {
    return h('section', { class: 'dr-sec' }, h('h4', null, title), ...body);
  }

  function render() {
    const id = app.selectedPeer;
    el.hidden = !id;
    if (!id) { el.replaceChildren(); return; }
    const cur = store.current();
    const v = cur ? cur.view : null;
    const copyBtn = h('button', { type: 'button', class: 'icon', title: 'copy the peer id' }, 'Copy');
    copyBtn.addEventListener('click', async () => app.toast(await copyText(id) ? 'Peer id copied' : 'Copy failed', 'info'));
    const parts = [
      h('div', { class: 'dr-head' },
        h('div', null, h('div', { class: 'muted small' }, 'Selected peer'), h('div', { class: 'mono dr-id' }, id)),
        h('div', { class: 'dr-actions' }, copyBtn, h('button', { type: 'button', class: 'icon close', title: 'clear the selection (Esc)', onclick: () => app.selectPeer('') }, '×'))),
    ];
    if (v) {
      const p = v.peers.get(id);
      if (p) {
        parts.push(section(`Connections (${p.conns.length})`, ...p.conns.map((c) => {
          const pill = h('span');
          statusPill(app, pill, c.status);
          return h('div', { class: 'dr-conn' },
            h('div', null, pill, ` ${c.outbound ? '↗ out' : '↙ in'} · ${c.transport || '?'} · ${[c.security, c.muxer].filter(Boolean).join(' / ') || '–'}`),
            h('div', { class: 'mono small' }, c.remote || '–'),
            h('div', { class: 'small' }, h('span', { class: 'c-in' }, `↓ ${fmt.rate(c.rateIn)}`), '  ', h('span', { class: 'c-out' }, `↑ ${fmt.rate(c.rateOut)}`),
              `  · ${fmt.latencyNs(c.latencyNs)} · ${fmt.duration(c.openTs ? (c.closeTs || v.ts) - c.openTs : NaN)} · ${c.streamCount} streams`));
        })));
        const protos = new Map();
        for (const c of p.conns) for (const s of c.streams) protos.set(s.protocol, (protos.get(s.protocol) || 0) + 1);
        if (protos.size) {
          parts.push(section('Streams', h('div', { class: 'dr-protos' }, [...protos].sort((a, b) => b[1] - a[1]).map(([name, n]) => h('div', null, h('span', { class: 'mono' }, name), h('span', { class: 'muted' }, ` × ${n}`))))));
        }
      } else {
        parts.push(section('Connections', h('p', { class: 'muted' }, 'Not connected in the shown state.')));
      }
      for (const d of v.dhts) {
        for (const b of d.buckets) {
          const hit = b.peers.find((x) => x.peer_id === id);
          if (hit) {
            parts.push(section(`DHT ${d.name || d.protocol || ''}`.trim(), h('p', null, `bucket cpl ${b.cpl}, ${(app.names.dhtStatus[hit.status] || '').toLowerCase()}, in bucket ${fmt.duration(hit.age_in_bucket)}`)));
          }
        }
      }
      if (v.pubsub) {
        const rows = [];
        for (const t of v.pubsub.topics) {
          const m = t.mesh_peers.find((x) => x.peer_id === id);
          if (m) rows.push(h('div', null, h('span', { class: 'mono' }, t.name), ` mesh, score ${m.score.toFixed(2)}, ${fmt.duration(m.time_in_mesh_ms)}`));
          else if (t.fanout_peers.includes(id)) rows.push(h('div', null, h('span', { class: 'mono' }, t.name), ' fanout'));
        }
        if (rows.length) parts.push(section('PubSub', ...rows));
      }
      if (v.peerstore) {
        const e = v.peerstore.peers.find((x) => x.peer_id === id);
        if (e) {
          parts.push(section('Peerstore',
            h('dl', { class: 'kv-list' },
              h('dt', null, 'agent'), h('dd', null, e.agent_version || '–'),
              h('dt', null, 'protocol'), h('dd', null, e.protocol_version || '–'),
              h('dt', null, 'latency'), h('dd', null, fmt.latencyNs(e.latency_ewma_ns)),
              h('dt', null, 'seen'), h('dd', null, `${fmt.dateTime(e.first_seen_ts)} → ${fmt.dateTime(e.last_seen_ts)}`)),
            e.multiaddrs.length ? h('div', { class: 'mono small' }, e.multiaddrs.map((a) => h('div', null, a))) : null,
            e.protocols.length ? h('details', null, h('summary', null, `${e.protocols.length} protocols`), h('div', { class: 'mono small' }, e.protocols.map((x) => h('div', null, x)))) : null));
        }
      }
      if (v.ping) {
        const pg = v.ping.peers.find((x) => x.peer_id === id);
        if (pg) parts.push(section('Ping', h('p', null, `last ${fmt.latencyNs(pg.last_rtt_ns)}, average ${fmt.latencyNs(pg.avg_rtt_ns)}`)));
      }
    }
    const evs = [];
    for (let i = store.events.length - 1; i >= 0 && evs.length < RECENT_EVENTS; i--) {
      const e = store.events[i];
      if (e.content && e.content.includes(id)) evs.push(h('div', { class: 'dr-ev' }, h('span', { class: 'mono muted' }, fmt.clock(e.ts)), ` ${e.type}`));
    }
    if (evs.length) parts.push(section('Recent events naming it', ...evs));
    el.replaceChildren(...parts);
  }

  return { render };
}
