// A made-up but plausible modern libp2p host, as peerscope State and Event
// objects (shaped like the visualizer's codec output, so the codec encodes
// them): connections with streams over several transports, a Kademlia
// routing table, gossipsub topics, a peerstore, the resource manager, and
// the other peerscope extensions. Deterministic for a given seed; values
// move with time so rates and charts have something to show.

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';

function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PROTOCOLS = [
  ['/ipfs/kad/1.0.0', 5], ['/meshsub/1.1.0', 4], ['/ipfs/bitswap/1.2.0', 3], ['/ipfs/id/1.0.0', 2],
  ['/ipfs/ping/1.0.0', 2], ['/ipfs/id/push/1.0.0', 1], ['/libp2p/autonat/1.0.0', 1],
  ['/libp2p/circuit/relay/0.2.0/hop', 1], ['/libp2p/dcutr', 1], ['/fil/hello/1.0.0', 1],
];
const AGENTS = ['go-libp2p/0.36.2', 'kubo/0.30.0/', 'rust-libp2p/0.54.1', 'js-libp2p/2.1.0', 'lotus-1.29.0', 'nim-libp2p', 'lighthouse/v5.3.0', 'helia/4.2.0'];
const TOPICS = ['/eth2/bba4da96/beacon_block/ssz_snappy', '/eth2/bba4da96/beacon_aggregate_and_proof/ssz_snappy', 'blocks', 'chat/lobby', '/fil/msgs/testnetnet', 'peerscope-demo', '/indexer/ingest/mainnet', 'sync'];

export const EVENT_TYPES = [
  { name: 'PeerConnected', property_types: [{ name: 'peerId', type: 11 }, { name: 'addr', type: 12 }, { name: 'direction', type: 0 }, { name: 'transport', type: 0 }] },
  { name: 'PeerDisconnected', property_types: [{ name: 'peerId', type: 11 }, { name: 'reason', type: 0 }, { name: 'openedAt', type: 10 }, { name: 'durationMs', type: 1 }] },
  { name: 'InboundDHTQuery', property_types: [{ name: 'peerIds', type: 11, has_multiple: true }, { name: 'result', type: 0 }, { name: 'totalTimeMs', type: 1 }, { name: 'totalSteps', type: 1 }] },
  { name: 'OutboundDHTQuery', property_types: [{ name: 'peerIds', type: 11, has_multiple: true }, { name: 'result', type: 0 }, { name: 'totalTimeMs', type: 1 }, { name: 'totalSteps', type: 1 }, { name: 'key', type: 0 }] },
  { name: 'GossipMessage', property_types: [{ name: 'topic', type: 0 }, { name: 'from', type: 11 }, { name: 'size', type: 1 }, { name: 'receivedAt', type: 10 }] },
  { name: 'IdentifyCompleted', property_types: [{ name: 'peerId', type: 11 }, { name: 'agent', type: 0 }, { name: 'listenAddrs', type: 12, has_multiple: true }, { name: 'protocols', type: 90 }] },
];

export class SyntheticHost {
  constructor({ conns = 48, streamsPerConn = 4, seed = 7, peerstoreExtra = 80, startMs = Date.now() } = {}) {
    const rnd = prng(seed);
    this.rnd = rnd;
    this.startMs = startMs;
    this.peerId = this.newPeerId();
    this.nextConnId = 1;
    this.nextStreamId = 1;
    this.conns = [];
    this.closing = [];
    this.eventSeq = 0;
    this.pendingEvents = [];
    this.streamsPerConn = streamsPerConn;
    this.knownPeers = [];
    for (let i = 0; i < conns; i++) this.conns.push(this.newConn(startMs - Math.floor(rnd() * 3600e3)));
    for (let i = 0; i < peerstoreExtra; i++) this.knownPeers.push(this.newPeerRecord(this.newPeerId(), startMs - Math.floor(rnd() * 86400e3)));
    for (const c of this.conns) this.knownPeers.push(this.newPeerRecord(c.peer, c.openTs));
    this.buckets = this.makeBuckets();
    this.topics = TOPICS.slice(0, 6).map((name, i) => ({ name, subscribed: i !== 4, rate: 2 + rnd() * 40, size: 200 + rnd() * 4000, fanout: i === 4 }));
    this.lastTick = startMs;
  }

  newPeerId() {
    let s = '12D3KooW';
    for (let i = 0; i < 44; i++) s += B58[Math.floor(this.rnd() * 58)];
    return s;
  }

  ip() {
    const r = this.rnd;
    return `${Math.floor(r() * 200) + 20}.${Math.floor(r() * 255)}.${Math.floor(r() * 255)}.${Math.floor(r() * 254) + 1}`;
  }

  addrFor(transport, peer) {
    const port = 4001 + Math.floor(this.rnd() * 3);
    switch (transport) {
      case 'quic-v1': return `/ip4/${this.ip()}/udp/${port}/quic-v1/p2p/${peer}`;
      case 'webtransport': return `/ip4/${this.ip()}/udp/${port}/quic-v1/webtransport/p2p/${peer}`;
      case 'websocket': return `/dns4/node-${Math.floor(this.rnd() * 90)}.example.net/tcp/443/wss/p2p/${peer}`;
      case 'webrtc-direct': return `/ip4/${this.ip()}/udp/${port}/webrtc-direct/p2p/${peer}`;
      default: return `/ip4/${this.ip()}/tcp/${port}/p2p/${peer}`;
    }
  }

  newConn(openTs) {
    const r = this.rnd;
    const transport = ['tcp', 'tcp', 'quic-v1', 'quic-v1', 'quic-v1', 'webtransport', 'websocket', 'webrtc-direct'][Math.floor(r() * 8)];
    const peer = this.newPeerId();
    const quic = transport === 'quic-v1' || transport === 'webtransport' || transport === 'webrtc-direct';
    const c = {
      id: this.nextConnId++,
      peer,
      transport,
      outbound: r() < 0.55,
      remote: this.addrFor(transport, peer),
      local: transport === 'tcp' ? '/ip4/10.0.0.5/tcp/4001' : transport === 'websocket' ? '/ip4/10.0.0.5/tcp/4002/ws' : '/ip4/10.0.0.5/udp/4001/quic-v1',
      security: quic ? (transport === 'webrtc-direct' ? 'dtls' : 'tls-1.3') : r() < 0.7 ? '/noise' : '/tls/1.0.0',
      muxer: quic ? '' : r() < 0.85 ? '/yamux/1.0.0' : '/mplex/6.7.0',
      openTs,
      status: 0,
      latencyNs: Math.floor(2e6 + r() * r() * 250e6),
      rateIn: Math.floor(200 + r() * r() * r() * 6e6),
      rateOut: Math.floor(100 + r() * r() * r() * 3e6),
      bytesIn: Math.floor(r() * 5e8),
      bytesOut: Math.floor(r() * 2e8),
      phase: r() * 6.28,
      streams: [],
      relay: r() < 0.06,
    };
    const n = Math.max(1, Math.round(this.streamsPerConn * (0.4 + r() * 1.2)));
    for (let i = 0; i < n; i++) c.streams.push(this.newStream(c, openTs + Math.floor(r() * 1000)));
    return c;
  }

  newStream(c, openTs) {
    const r = this.rnd;
    let total = 0;
    for (const [, w] of PROTOCOLS) total += w;
    let x = r() * total;
    let proto = PROTOCOLS[0][0];
    for (const [p, w] of PROTOCOLS) { x -= w; if (x <= 0) { proto = p; break; } }
    return {
      id: this.nextStreamId++,
      protocol: proto,
      outbound: r() < 0.5,
      openTs,
      share: r(),
      bytesIn: Math.floor(r() * 1e7),
      bytesOut: Math.floor(r() * 5e6),
      status: 0,
      latencyNs: Math.floor(1e5 + r() * 2e7),
    };
  }

  newPeerRecord(peer, firstSeen) {
    const r = this.rnd;
    const protos = PROTOCOLS.filter(() => r() < 0.6).map(([p]) => p);
    return {
      peer_id: peer,
      multiaddrs: [this.addrFor('tcp', peer).replace(/\/p2p\/.*$/, ''), this.addrFor('quic-v1', peer).replace(/\/p2p\/.*$/, '')].slice(0, 1 + Math.floor(r() * 2)),
      protocols: protos,
      agent_version: AGENTS[Math.floor(r() * AGENTS.length)],
      protocol_version: 'ipfs/0.1.0',
      latency_ewma_ns: Math.floor(3e6 + r() * 120e6),
      first_seen_ts: firstSeen,
      last_seen_ts: firstSeen,
      tags: r() < 0.3 ? [{ name: 'kbucket', value: 5 }] : r() < 0.2 ? [{ name: 'bootstrap', value: 50 }] : [],
    };
  }

  makeBuckets() {
    const r = this.rnd;
    const peers = this.knownPeers.map((p) => p.peer_id);
    const buckets = [];
    let idx = 0;
    for (let cpl = 0; cpl < 14 && idx < peers.length; cpl++) {
      const n = cpl < 7 ? 20 : Math.max(1, Math.floor(20 / (cpl - 5)));
      const list = [];
      for (let i = 0; i < n && idx < peers.length; i++) {
        const x = r();
        list.push({ peer_id: peers[idx++], status: x < 0.82 ? 0 : x < 0.9 ? 1 : x < 0.95 ? 3 : 2, since: this.startMs - Math.floor(r() * 7200e3) });
      }
      buckets.push({ cpl, peers: list });
    }
    return buckets;
  }

  runtime() {
    return {
      implementation: 'peerscope-synthetic',
      version: '0.1.0',
      platform: 'linux/amd64',
      peer_id: this.peerId,
      event_types: EVENT_TYPES,
      peerscope_version: '0.1.0',
      start_ts: this.startMs - 3600e3,
      capabilities: [],
    };
  }

  emit(now, name, content) {
    this.pendingEvents.push({ ts: now, type: name, content });
  }

  /** Advance the host to now: traffic grows, some connections come and go. */
  advance(now) {
    const dt = Math.max(0, now - this.lastTick) / 1000;
    this.lastTick = now;
    const r = this.rnd;
    for (const c of this.closing) c.ttl--;
    this.closing = this.closing.filter((c) => c.ttl > 0);
    for (const c of this.conns) {
      const wave = 0.6 + 0.4 * Math.sin(now / 9000 + c.phase);
      c.curIn = Math.floor(c.rateIn * wave);
      c.curOut = Math.floor(c.rateOut * (1.4 - wave));
      c.bytesIn += Math.floor(c.curIn * dt);
      c.bytesOut += Math.floor(c.curOut * dt);
      for (const s of c.streams) {
        s.bytesIn += Math.floor(c.curIn * dt * s.share / c.streams.length);
        s.bytesOut += Math.floor(c.curOut * dt * s.share / c.streams.length);
      }
      if (r() < 0.02 * dt && c.streams.length) c.streams.shift();
      if (r() < 0.03 * dt) c.streams.push(this.newStream(c, now));
    }
    // Churn: about one connection a few seconds, replaced by a new one.
    if (dt > 0 && r() < 0.35 * dt && this.conns.length > 4) {
      const i = Math.floor(r() * this.conns.length);
      const c = this.conns.splice(i, 1)[0];
      c.status = 1;
      c.closeTs = now;
      c.ttl = 2;
      this.closing.push(c);
      this.emit(now, 'PeerDisconnected', { peerId: c.peer, reason: r() < 0.5 ? 'idle timeout' : 'connection reset by peer', openedAt: c.openTs, durationMs: now - c.openTs });
      const n = this.newConn(now);
      n.status = 2;
      this.conns.push(n);
      this.emit(now, 'PeerConnected', { peerId: n.peer, addr: n.remote, direction: n.outbound ? 'outbound' : 'inbound', transport: n.transport });
      this.knownPeers.push(this.newPeerRecord(n.peer, now));
    } else {
      for (const c of this.conns) if (c.status === 2) c.status = 0;
    }
    // DHT queries and gossip.
    const all = this.buckets.flatMap((b) => b.peers.map((p) => p.peer_id));
    const queries = Math.floor(dt * (2 + r() * 3));
    for (let q = 0; q < queries; q++) {
      const ids = [];
      for (let k = 0; k < 3 + Math.floor(r() * 10); k++) ids.push(all[Math.floor(r() * all.length)]);
      const out = r() < 0.5;
      const res = r() < 0.85 ? 'SUCCESS' : r() < 0.5 ? 'TIMEOUT' : 'ERROR';
      this.emit(now - Math.floor(r() * 900), out ? 'OutboundDHTQuery' : 'InboundDHTQuery',
        out ? { peerIds: ids, result: res, totalTimeMs: Math.floor(20 + r() * 900), totalSteps: 1 + Math.floor(r() * 8), key: `/pk/${this.newPeerId()}` }
          : { peerIds: ids, result: res, totalTimeMs: Math.floor(5 + r() * 90), totalSteps: 1 });
    }
    if (r() < dt) {
      const t = this.topics[Math.floor(r() * this.topics.length)];
      this.emit(now, 'GossipMessage', { topic: t.name, from: this.conns[Math.floor(r() * this.conns.length)].peer, size: Math.floor(t.size), receivedAt: now });
    }
    if (r() < 0.3 * dt) {
      const c = this.conns[Math.floor(r() * this.conns.length)];
      this.emit(now, 'IdentifyCompleted', { peerId: c.peer, agent: AGENTS[Math.floor(r() * AGENTS.length)], listenAddrs: [c.remote.replace(/\/p2p\/.*$/, '')], protocols: PROTOCOLS.slice(0, 4).map(([p]) => p) });
    }
  }

  /** Events produced since the last call (Event objects for the codec). */
  takeEvents() {
    // Numbered in emission order, like a host's event ring.
    const out = this.pendingEvents.sort((a, b) => a.ts - b.ts).map((e) => ({
      type: { name: e.type, property_types: [] },
      ts: e.ts,
      content: JSON.stringify(e.content),
      seq: ++this.eventSeq,
    }));
    this.pendingEvents = [];
    return out;
  }

  connObject(c) {
    const streams = c.streams.map((s) => ({
      id: u32(s.id),
      protocol: s.protocol,
      role: s.outbound ? 0 : 1,
      traffic: { traffic_in: { cum_bytes: s.bytesIn, inst_bw: Math.floor((c.curIn || 0) * s.share / c.streams.length) }, traffic_out: { cum_bytes: s.bytesOut, inst_bw: Math.floor((c.curOut || 0) * s.share / c.streams.length) } },
      conn: { conn_id: u32(c.id) },
      timeline: { open_ts: s.openTs, close_ts: c.status === 1 ? c.closeTs : 0 },
      status: c.status === 1 ? 1 : s.status,
      latency_ns: s.latencyNs,
    }));
    const o = {
      id: u32(c.id),
      peer_id: c.peer,
      status: c.status,
      transport_id: u32(['tcp', 'quic-v1', 'webtransport', 'websocket', 'webrtc-direct'].indexOf(c.transport) + 1),
      endpoints: { src_multiaddr: c.local, dst_multiaddr: c.remote },
      timeline: { open_ts: c.openTs, upgraded_ts: c.openTs + 40, close_ts: c.closeTs || 0 },
      role: c.outbound ? 0 : 1,
      traffic: { traffic_in: { cum_bytes: c.bytesIn, cum_packets: Math.floor(c.bytesIn / 1100), inst_bw: c.status === 1 ? 0 : c.curIn || 0 }, traffic_out: { cum_bytes: c.bytesOut, cum_packets: Math.floor(c.bytesOut / 1100), inst_bw: c.status === 1 ? 0 : c.curOut || 0 } },
      attribs: { multiplexer: c.muxer, encryption: c.security },
      latency_ns: c.latencyNs,
      streams: { streams },
      transport_name: c.transport,
      close_reason: c.status === 1 ? 'idle timeout' : '',
      stream_count: streams.length,
      user_provided_tags: c.relay ? ['relayed'] : [],
    };
    return o;
  }

  /** The State at now (call advance(now) first). */
  state(now, seq) {
    const conns = [...this.conns, ...this.closing].map((c) => this.connObject(c));
    let tin = 0; let tout = 0; let bin = 0; let bout = 0;
    for (const c of this.conns) { tin += c.bytesIn; tout += c.bytesOut; bin += c.curIn || 0; bout += c.curOut || 0; }
    const connected = new Set(this.conns.map((c) => c.peer));
    const elapsed = (now - this.startMs) / 1000;
    const r = this.rnd;
    const topics = this.topics.map((t, i) => {
      const mesh = this.conns.filter((_, j) => (j + i) % 5 === 0).slice(0, 8);
      const recv = Math.floor(t.rate * (elapsed + 600));
      return {
        name: t.name,
        subscribed: t.subscribed,
        mesh_peers: t.fanout ? [] : mesh.map((c, j) => ({ peer_id: c.peer, score: Math.round((((j * 7 + i * 3) % 11) - 2.5 + Math.sin(now / 20000 + j)) * 100) / 100, time_in_mesh_ms: now - c.openTs })),
        fanout_peers: t.fanout ? this.conns.slice(i, i + 6).map((c) => c.peer) : [],
        peer_count: 10 + ((i * 13) % 40),
        messages: { received: recv, sent: Math.floor(recv * 0.8), published: Math.floor(recv / 40), forwarded: Math.floor(recv * 0.7), rejected: Math.floor(recv / 900), duplicate: Math.floor(recv * 0.3) },
        bytes: { received: Math.floor(recv * t.size), sent: Math.floor(recv * t.size * 0.8) },
      };
    });
    const peerstore = this.knownPeers.map((p) => ({ ...p, last_seen_ts: connected.has(p.peer_id) ? now : p.last_seen_ts }));
    const scope = (kind, name, use, lim) => ({ kind, name, usage: use, limit: lim });
    const streamsIn = this.conns.reduce((a, c) => a + c.streams.filter((s) => !s.outbound).length, 0);
    const streamsOut = this.conns.reduce((a, c) => a + c.streams.filter((s) => s.outbound).length, 0);
    const inbound = this.conns.filter((c) => !c.outbound).length;
    const scopes = [
      scope(0, '', { conns_in: inbound, conns_out: this.conns.length - inbound, streams_in: streamsIn, streams_out: streamsOut, memory: 180e6 + Math.floor(40e6 * Math.sin(now / 15000)), fds: this.conns.length + 40 },
        { conns_in: 256, conns_out: 512, streams_in: 2048, streams_out: 4096, memory: 512e6, fds: 1024 }),
      scope(1, '', { conns_in: 2, conns_out: 1, streams_in: 4, streams_out: 2, memory: 3e6, fds: 3 }, { conns_in: 64, conns_out: 64, streams_in: 128, streams_out: 128, memory: 64e6, fds: 64 }),
      scope(2, 'libp2p.identify', { conns_in: 0, conns_out: 0, streams_in: 3, streams_out: 2, memory: 1.2e6, fds: 0 }, { conns_in: 0, conns_out: 0, streams_in: 64, streams_out: 64, memory: 16e6, fds: 0 }),
      scope(2, 'libp2p.relay/v2', { conns_in: 0, conns_out: 0, streams_in: 14, streams_out: 0, memory: 14.5e6, fds: 0 }, { conns_in: 0, conns_out: 0, streams_in: 16, streams_out: 16, memory: 16e6, fds: 0 }),
      scope(3, '/ipfs/kad/1.0.0', { conns_in: 0, conns_out: 0, streams_in: 40, streams_out: 55, memory: 22e6, fds: 0 }, { conns_in: 0, conns_out: 0, streams_in: 512, streams_out: 512, memory: 64e6, fds: 0 }),
      scope(3, '/meshsub/1.1.0', { conns_in: 0, conns_out: 0, streams_in: 30, streams_out: 30, memory: 40e6, fds: 0 }, { conns_in: 0, conns_out: 0, streams_in: 0, streams_out: 0, memory: 0, fds: 0 }),
      ...this.conns.slice(0, 12).map((c) => scope(4, c.peer, { conns_in: c.outbound ? 0 : 1, conns_out: c.outbound ? 1 : 0, streams_in: c.streams.filter((s) => !s.outbound).length, streams_out: c.streams.filter((s) => s.outbound).length, memory: Math.floor(1e6 + c.rateIn), fds: 1 },
        { conns_in: 8, conns_out: 8, streams_in: 256, streams_out: 256, memory: 32e6, fds: 8 })),
    ];
    return {
      subsystems: {
        connections: conns,
        dht: {
          protocol: '/ipfs/kad/1.0.0',
          enabled: true,
          start_ts: this.startMs - 3500e3,
          params: { k: 20, alpha: 10, disjoint_paths: 10, beta: 3 },
          buckets: this.buckets.map((b) => ({ cpl: b.cpl, peers: b.peers.map((p) => ({ peer_id: p.peer_id, status: p.status, age_in_bucket: now - p.since })) })),
          incoming_queries: { success: Math.floor(elapsed * 3 + 4000), error: Math.floor(elapsed / 9 + 30), timeout: Math.floor(elapsed / 5 + 80) },
          outgoing_queries: { success: Math.floor(elapsed * 2 + 2500), error: Math.floor(elapsed / 12 + 20), timeout: Math.floor(elapsed / 4 + 150) },
          name: 'wan',
        },
        pubsub: { router: 'gossipsub', protocol: '/meshsub/1.1.0', topics },
        peerstore: { peers: peerstore },
        transports: [
          { id: u32(1), name: 'tcp', listen_multiaddrs: ['/ip4/0.0.0.0/tcp/4001', '/ip6/::/tcp/4001'], listening: true, dialing: true },
          { id: u32(2), name: 'quic-v1', listen_multiaddrs: ['/ip4/0.0.0.0/udp/4001/quic-v1'], listening: true, dialing: true },
          { id: u32(3), name: 'webtransport', listen_multiaddrs: ['/ip4/0.0.0.0/udp/4001/quic-v1/webtransport'], listening: true, dialing: true },
          { id: u32(4), name: 'websocket', listen_multiaddrs: ['/ip4/0.0.0.0/tcp/4002/ws'], listening: true, dialing: false },
          { id: u32(5), name: 'webrtc-direct', listen_multiaddrs: [], listening: false, dialing: true },
        ],
        dialer: { in_flight: Math.floor(r() * 6), outcomes: { success: Math.floor(elapsed + 800), error: Math.floor(elapsed / 7 + 90), timeout: Math.floor(elapsed / 20 + 12), canceled: 31, backoff: 57 }, dials: [] },
        identify: { requests_in: Math.floor(elapsed / 2 + 900), requests_out: Math.floor(elapsed / 2 + 870), pushes_in: 120, pushes_out: 98, errors: 7 },
        relay: { reservations_active: 2, circuits_active: this.conns.filter((c) => c.relay).length, reservations_total: 9, circuits_total: 41, hole_punch_attempts: 38, hole_punch_successes: 27, hole_punch_failures: 11 },
        ping: { pings_sent: Math.floor(elapsed / 3 + 5000), failures: 23, peers: this.conns.slice(0, 20).map((c) => ({ peer_id: c.peer, last_rtt_ns: c.latencyNs, avg_rtt_ns: Math.floor(c.latencyNs * 1.1) })) },
        resource_manager: { scopes },
        custom: [{ name: 'app', values: [
          { name: 'blocks_synced', value: 'integer', integer: Math.floor(19000000 + elapsed / 12) },
          { name: 'sync_progress', value: 'number', number: Math.min(1, 0.97 + elapsed / 100000) },
          { name: 'mode', value: 'text', text: 'full node' },
          { name: 'limits', value: 'json', json: '{"maxPeers":600,"lowWater":96}' },
        ] }],
      },
      traffic: { traffic_in: { cum_bytes: tin, inst_bw: bin }, traffic_out: { cum_bytes: tout, inst_bw: bout } },
      instant_ts: now,
      start_ts: now - 1000,
      snapshot_duration_ms: 2,
      seq,
    };
  }
}

function u32(n) {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, n, true);
  return b;
}
