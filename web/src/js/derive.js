// Turns one decoded State (plus the one before it, for rates) into the
// flat records the views render. Computed once per shown state.

import { hex, transportOf } from './format.js';

const ACTIVE = 0;

/** Streams of a connection, from whichever field the host filled. */
export function streamCount(c) {
  const sl = c.streams;
  if (sl && sl.streams.length) return sl.streams.length;
  if (sl && sl.stream_ids.length) return sl.stream_ids.length;
  return c.stream_count;
}

function gauge(t, dir) {
  const g = t ? (dir === 'in' ? t.traffic_in : t.traffic_out) : null;
  return g || { cum_bytes: 0, inst_bw: 0 };
}

function rateOf(cur, prevCum, dt) {
  if (cur.inst_bw) return cur.inst_bw;
  if (prevCum === undefined || dt <= 0) return 0;
  return Math.max(0, cur.cum_bytes - prevCum) * 1000 / dt;
}

/**
 * {ts, conns, connByKey, streams, protocols, peers, counts, dht, dhts,
 *  pubsub, peerstore, resources, transports, extras, providerErrors}
 */
export function deriveState(state, prev) {
  const ts = state.instant_ts;
  const dt = prev ? ts - prev.instant_ts : 0;
  const sub = state.subsystems || null;
  // The previous state is only needed for hosts that do not report
  // inst_bw; look it up lazily.
  let prevConns = null;
  let prevStreams = null;
  const prevConn = (k) => {
    if (!prevConns) {
      prevConns = new Map();
      if (prev && prev.subsystems) for (const c of prev.subsystems.connections) prevConns.set(hex(c.id), c);
    }
    return prevConns.get(k);
  };
  const prevStream = (k) => {
    if (!prevStreams) {
      prevStreams = new Map();
      if (prev && prev.subsystems) {
        for (const c of prev.subsystems.connections) {
          const ck = hex(c.id);
          if (c.streams) for (const s of c.streams.streams) prevStreams.set(`${ck}/${hex(s.id)}`, s);
        }
      }
    }
    return prevStreams.get(k);
  };
  const needPrev = (g) => !g.inst_bw && g.cum_bytes > 0 && dt > 0;

  const transports = new Map();
  if (sub) for (const t of sub.transports) transports.set(hex(t.id), t);

  const conns = [];
  const connByKey = new Map();
  const streams = [];
  const protocols = new Map();
  const peers = new Map();
  const counts = {
    conns: [0, 0, 0, 0, 0],
    streams: [0, 0, 0, 0, 0],
    inbound: 0,
    outbound: 0,
  };

  for (const c of sub ? sub.connections : []) {
    const key = hex(c.id);
    const gin = gauge(c.traffic, 'in');
    const gout = gauge(c.traffic, 'out');
    const p = needPrev(gin) || needPrev(gout) ? prevConn(key) : undefined;
    const tr = transports.get(hex(c.transport_id));
    const remote = c.endpoints ? c.endpoints.dst_multiaddr : '';
    let relay = '';
    if (c.relayed_over === 'conn' && c.conn) relay = c.conn.peer_id;
    else if (c.relayed_over === 'conn_id') relay = hex(c.conn_id);
    const cv = {
      kind: 'conn',
      key,
      peer: c.peer_id,
      status: c.status,
      outbound: c.role === 0,
      transport: c.transport_name || (tr && tr.name) || transportOf(remote) || (c.transport_id.length ? hex(c.transport_id) : ''),
      security: c.attribs ? c.attribs.encryption : '',
      muxer: c.attribs ? c.attribs.multiplexer : '',
      remote,
      local: c.endpoints ? c.endpoints.src_multiaddr : '',
      relay,
      bytesIn: gin.cum_bytes,
      bytesOut: gout.cum_bytes,
      rateIn: rateOf(gin, p ? gauge(p.traffic, 'in').cum_bytes : undefined, dt),
      rateOut: rateOf(gout, p ? gauge(p.traffic, 'out').cum_bytes : undefined, dt),
      latencyNs: c.latency_ns,
      openTs: c.timeline ? c.timeline.open_ts : 0,
      closeTs: c.timeline ? c.timeline.close_ts : 0,
      closeReason: c.close_reason,
      tags: c.user_provided_tags,
      streamCount: streamCount(c),
      streams: [],
    };
    if (c.status >= 0 && c.status < 5) counts.conns[c.status]++;
    if (c.status === ACTIVE) { if (cv.outbound) counts.outbound++; else counts.inbound++; }
    for (const s of c.streams ? c.streams.streams : []) {
      const skey = `${key}/${hex(s.id)}`;
      const sin = gauge(s.traffic, 'in');
      const sout = gauge(s.traffic, 'out');
      const ps = needPrev(sin) || needPrev(sout) ? prevStream(skey) : undefined;
      const sv = {
        kind: 'stream',
        key: skey,
        conn: cv,
        peer: c.peer_id,
        protocol: s.protocol || '(negotiating)',
        status: s.status,
        outbound: s.role === 0,
        bytesIn: sin.cum_bytes,
        bytesOut: sout.cum_bytes,
        rateIn: rateOf(sin, ps ? gauge(ps.traffic, 'in').cum_bytes : undefined, dt),
        rateOut: rateOf(sout, ps ? gauge(ps.traffic, 'out').cum_bytes : undefined, dt),
        latencyNs: s.latency_ns,
        openTs: s.timeline ? s.timeline.open_ts : 0,
        closeTs: s.timeline ? s.timeline.close_ts : 0,
        closeReason: s.close_reason,
        tags: s.user_provided_tags,
      };
      cv.streams.push(sv);
      streams.push(sv);
      if (s.status >= 0 && s.status < 5) counts.streams[s.status]++;
      let pr = protocols.get(sv.protocol);
      if (!pr) {
        pr = { kind: 'protocol', key: `proto:${sv.protocol}`, protocol: sv.protocol, streams: [], open: 0, peers: new Set(), bytesIn: 0, bytesOut: 0, rateIn: 0, rateOut: 0, inbound: 0, outbound: 0 };
        protocols.set(sv.protocol, pr);
      }
      pr.streams.push(sv);
      if (s.status === ACTIVE) pr.open++;
      pr.peers.add(sv.peer);
      pr.bytesIn += sv.bytesIn;
      pr.bytesOut += sv.bytesOut;
      pr.rateIn += sv.rateIn;
      pr.rateOut += sv.rateOut;
      if (sv.outbound) pr.outbound++; else pr.inbound++;
    }
    // Hosts that only report counts still give the overview its totals.
    if (!cv.streams.length && c.status === ACTIVE) counts.streams[ACTIVE] += cv.streamCount;
    conns.push(cv);
    connByKey.set(key, cv);
    let pe = peers.get(c.peer_id);
    if (!pe) {
      pe = { peer: c.peer_id, conns: [], rateIn: 0, rateOut: 0, bytesIn: 0, bytesOut: 0 };
      peers.set(c.peer_id, pe);
    }
    pe.conns.push(cv);
    pe.rateIn += cv.rateIn;
    pe.rateOut += cv.rateOut;
    pe.bytesIn += cv.bytesIn;
    pe.bytesOut += cv.bytesOut;
  }

  const dhts = [];
  if (sub && sub.dht) dhts.push(sub.dht);
  if (sub) for (const d of sub.additional_dhts) dhts.push(d);

  return {
    ts,
    startTs: state.start_ts,
    seq: state.seq,
    conns,
    connByKey,
    streams,
    protocols,
    peers,
    counts,
    dhts,
    pubsub: sub ? sub.pubsub : null,
    peerstore: sub ? sub.peerstore : null,
    resources: sub ? sub.resource_manager : null,
    transports: sub ? sub.transports : [],
    dialer: sub ? sub.dialer : null,
    identify: sub ? sub.identify : null,
    relay: sub ? sub.relay : null,
    ping: sub ? sub.ping : null,
    custom: sub ? sub.custom : [],
    providerErrors: state.provider_errors,
    traffic: state.traffic,
  };
}
