// A js-libp2p 3 `metrics` component that is a peerscope host:
//
//   createLibp2p({ ..., metrics: peerscope({ port: 7878 }) })
//
// gives the node a peerscope endpoint (WebSocket + visualizer) on its own
// port. Connections and streams, with their bytes, come from libp2p's own
// hooks (trackMultiaddrConnection, trackProtocolStream); the peer store,
// the kad-dht routing table, gossipsub, identify and ping are read from the
// node's public objects at every refresh (default once a second) and on its
// events. Everything is pushed into the library's push table from this
// thread: the endpoint's thread never calls JavaScript and JavaScript never
// waits for it.
//
// Facts about js-libp2p this relies on (3.3, @libp2p/interface 3.4):
// - the factory runs before the other components exist; they are read in
//   start()/afterStart() from the shared `components` object;
// - a Connection shares its timeline object with the raw connection that
//   trackMultiaddrConnection saw; its id is given only at upgrade;
// - wire bytes are counted exactly by wrapping onData/sendData of the raw
//   connection, stream payload by wrapping dispatchEvent('message')/send of
//   the stream; a 'message' listener must never be added (it would take the
//   data before the protocol handler);
// - a stream does not know its connection: it is found in its connection's
//   `streams` when it is tracked;
// - the DHT's routing table is `dht.routingTable.kb` (a trie of k-buckets
//   whose contacts carry `peerId` and `kadId`, the node itself among them)
//   and announces changes with `peer:add`/`peer:remove` on the routing
//   table; members also carry the peer store tag `kad-peer` (the fallback
//   where the trie is not reachable); a kad id is sha256 of the peer id's
//   multihash bytes.
//
// Introspection must never break the node: every hook body of ours runs
// under a guard that counts and logs what it threw (`faults`), and libp2p's
// own calls are made outside it, so their results and errors are theirs.

import { createHash } from 'node:crypto';
import { loadAddon } from './addon.js';

const DECODER = new TextDecoder();

/** sha256 of a peer id's multihash: its position in the Kademlia key space. */
export function kadId(peerId) {
  return createHash('sha256').update(peerId.toMultihash().bytes).digest();
}

/** Common prefix length of two kad ids, in bits. */
export function commonPrefixLength(a, b) {
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ^ b[i];
    if (x !== 0) return i * 8 + Math.clz32(x) - 24;
  }
  return a.length * 8;
}

/** The transport of a multiaddr: its first component after the address ("tcp", "quic-v1", ...). */
function transportOf(ma) {
  try {
    const names = ma.getComponents().map((c) => c.name);
    if (names.includes('p2p-circuit')) return 'p2p-circuit';
    return names.find((n) => !['ip4', 'ip6', 'dns', 'dns4', 'dns6', 'dnsaddr', 'p2p'].includes(n)) ?? '';
  } catch {
    return '';
  }
}

/** A stream or connection status of libp2p as the library's status and close reason. */
function ending(status, error) {
  const reason = error ? `${status}: ${error.message ?? error}` : status === 'closed' ? undefined : status;
  return { status: error && status !== 'reset' && status !== 'aborted' ? 'error' : 'closed', reason };
}

function noop() {}

/** What register* returns: libp2p calls these without checking for them. */
function metricStub() {
  return { update: noop, increment: noop, decrement: noop, reset: noop, observe: noop, timer: () => noop };
}

class PeerscopeMetrics {
  constructor(components, options) {
    this[Symbol.toStringTag] = '@peerscope/metrics';
    this.components = components;
    this.options = options;
    const { Introspector } = loadAddon();
    this.intro = new Introspector({
      implementation: options.implementation ?? 'js-libp2p',
      version: options.version ?? components.nodeInfo?.version ?? '',
      peerId: components.peerId.toString(),
      logLevel: options.logLevel ?? 'warn',
      onLog: options.onLog,
    });
    this.intro.declareWellKnown();
    this.events = {};
    for (const name of ['PeerConnected', 'PeerDisconnected', 'InboundDHTQuery', 'OutboundDHTQuery',
      'IdentityKnown', 'FirstPeerConnected', 'MessageReceived']) {
      this.events[name] = this.intro.lookupEvent(name);
    }
    this.table = this.intro.table({ name: options.name ?? 'libp2p' });
    this.selfKad = kadId(components.peerId);
    this.startTs = Date.now();
    this.firstPeer = false;
    this.seq = 0;
    this.raw = new Map();            // timeline -> raw connection record (until upgraded or gone)
    this.conns = new Map();          // connection id -> { handle, conn, streams: Map }
    this.dhtPeers = new Map();       // peer id -> cpl
    this.peers = new Map();          // peer store entries reported: peer id -> what was sent (JSON)
    this.meshes = new Map();         // topic -> the mesh last reported (string)
    this.fanouts = new Map();
    this.grafted = new Map();        // `${topic} ${peer}` -> when
    this.topicCounts = new Map();    // topic -> { received, bytes }
    this.identify = 0;
    this.ping = { sent: 0, failures: 0 };
    this.dht = { incoming: { success: 0, error: 0 }, outgoing: { success: 0, error: 0, timeout: 0 } };
    this.dial = { success: 0, error: 0 };
    this.calculated = new Map();     // metric name -> calculate()
    this.listeners = [];
    this.timer = null;
    this.endpoint = null;
    /** Connection and stream changes pushed so far: equal before and after a
     * read of the endpoint means libp2p's connections did not change in between. */
    this.changes = 0;
    /** Errors our hooks caught (and logged) instead of passing them to libp2p. */
    this.faults = 0;
    this.stopped = false;
    this.refreshes = 0;
  }

  /**
   * Run fn (ours, never libp2p's); what it throws is counted and logged,
   * never rethrown. After stop() nothing runs: libp2p stops its metrics
   * before it closes its connections, whose hooks then find the table gone.
   */
  guard(fn) {
    if (this.stopped) return undefined;
    try {
      return fn();
    } catch (err) {
      this.faults++;
      try {
        this.options.onLog?.('warn', `peerscope: ${err?.message ?? err}`);
      } catch { /* a throwing log callback is not ours to fix */ }
      return undefined;
    }
  }

  /** The endpoint's WebSocket URL (after start). */
  get url() {
    return this.endpoint?.url;
  }

  /** The endpoint's port (after start). */
  get port() {
    return this.endpoint?.port;
  }

  // ------------------------------------------------------------ lifecycle

  start() {
    const o = this.options;
    this.endpoint = this.intro.listen({
      port: o.port ?? 0, bind: o.bind, token: o.token, allowedOrigins: o.allowedOrigins, path: o.path,
      tlsCert: o.tlsCert, tlsKey: o.tlsKey, maxSessions: o.maxSessions,
      insecureAllowUnauthenticatedRemote: o.insecureAllowUnauthenticatedRemote,
    });
  }

  afterStart() {
    const c = this.components;
    this.on(c.events, 'connection:open', (e) => this.opened(e.detail));
    this.on(c.events, 'connection:close', (e) => this.closed(e.detail));
    this.on(c.events, 'peer:identify', (e) => this.identified(e.detail));
    this.on(c.events, 'peer:update', (e) => this.pushPeer(e.detail.peer));
    const pubsub = this.service('pubsub');
    if (pubsub) {
      this.on(pubsub, 'gossipsub:graft', (e) => {
        this.grafted.set(`${e.detail.topic} ${e.detail.peerId}`, Date.now());
        this.refreshTopic(pubsub, e.detail.topic, Date.now());
      });
      this.on(pubsub, 'gossipsub:prune', (e) => {
        this.grafted.delete(`${e.detail.topic} ${e.detail.peerId}`);
        this.refreshTopic(pubsub, e.detail.topic, Date.now());
      });
      this.on(pubsub, 'gossipsub:message', (e) => this.message(e.detail));
    }
    const rt = this.service('dht')?.routingTable;
    if (rt?.addEventListener) {
      this.on(rt, 'peer:add', () => this.refreshDht());
      this.on(rt, 'peer:remove', () => this.refreshDht());
    }
    this.guard(() => this.wrapDhtInbound());
    this.guard(() => this.wrapPing());
    for (const conn of c.connectionManager.getConnections()) this.guard(() => this.opened(conn));
    this.refreshing = this.refresh();
    this.timer = setInterval(() => { this.refreshing = this.refresh(); }, this.options.refreshMs ?? 1000);
    this.timer.unref?.();
  }

  async stop() {
    this.stopped = true;
    clearInterval(this.timer);
    this.timer = null;
    for (const [target, name, fn] of this.listeners) target.removeEventListener(name, fn);
    this.listeners = [];
    await this.refreshing?.catch(noop);
    this.endpoint?.close();
    this.intro.close();
  }

  on(target, name, fn) {
    const guarded = (e) => this.guard(() => fn(e));
    target.addEventListener(name, guarded);
    this.listeners.push([target, name, guarded]);
  }

  service(name) {
    try {
      return this.components[name];
    } catch {
      return undefined; // MissingServiceError: the node runs without it
    }
  }

  // ------------------------------------------------------------ connections

  trackMultiaddrConnection(maConn) {
    this.guard(() => this.trackRaw(maConn));
  }

  trackRaw(maConn) {
    const rec = { seq: ++this.seq, maConn, handle: null, in: 0, out: 0, inPk: 0, outPk: 0 };
    this.raw.set(maConn.timeline, rec);
    // wire bytes, exactly as the socket saw them
    if (typeof maConn.onData === 'function') {
      const onData = maConn.onData.bind(maConn);
      const count = (buf) => {
        if (rec.handle) rec.handle.received(buf.byteLength);
        else { rec.in += buf.byteLength; rec.inPk++; }
      };
      maConn.onData = (buf) => {
        this.guard(() => count(buf));
        return onData(buf);
      };
    }
    if (typeof maConn.sendData === 'function') {
      const sendData = maConn.sendData.bind(maConn);
      const count = (n) => {
        if (rec.handle) rec.handle.sent(n);
        else { rec.out += n; rec.outPk++; }
      };
      maConn.sendData = (list) => {
        const r = sendData(list);
        this.guard(() => count(r?.sentBytes ?? 0));
        return r;
      };
    }
    maConn.addEventListener('close', (evt) => this.guard(() => {
      this.raw.delete(maConn.timeline);
      // never upgraded (denied, failed handshake): report the attempt once
      if (!rec.handle && !rec.upgraded) {
        const h = this.table.openConnection({
          id: `unupgraded-${rec.seq}`, direction: maConn.direction, status: 'error',
          remoteAddr: maConn.remoteAddr?.toString(), transportName: transportOf(maConn.remoteAddr),
          openTs: maConn.timeline.open,
        });
        h.received(rec.in, rec.inPk);
        h.sent(rec.out, rec.outPk);
        h.close({ ...ending(maConn.status, evt.error ?? new Error('upgrade failed')), status: 'error' });
      }
    }), { once: true });
  }

  opened(conn) {
    if (this.conns.has(conn.id)) return;
    const rec = this.raw.get(conn.timeline) ?? { in: 0, out: 0, inPk: 0, outPk: 0 };
    rec.upgraded = true;
    const handle = this.table.openConnection({
      id: conn.id,
      peerId: conn.remotePeer.toString(),
      direction: conn.direction,
      status: conn.status === 'open' ? 'active' : 'closing',
      transportName: transportOf(conn.remoteAddr),
      remoteAddr: conn.remoteAddr.toString(),
      localAddr: rec.maConn?.localAddr?.toString?.(),
      openTs: conn.timeline.open,
      upgradedTs: Date.now(),
      multiplexer: conn.multiplexer,
      encryption: conn.encryption,
      latencyNs: conn.rtt != null ? Math.round(conn.rtt * 1e6) : undefined,
    });
    handle.received(rec.in, rec.inPk);
    handle.sent(rec.out, rec.outPk);
    rec.handle = handle;
    this.changes++;
    const entry = { handle, conn, rec, streams: new Map(), rtt: conn.rtt, reason: undefined };
    this.conns.set(conn.id, entry);
    conn.addEventListener('close', (evt) => this.guard(() => {
      entry.reason = ending(conn.status, evt.error);
    }), { once: true });
    const peerId = conn.remotePeer.toString();
    this.emit('PeerConnected', { peerId, transport: transportOf(conn.remoteAddr), direction: conn.direction,
      addr: conn.remoteAddr.toString() });
    if (!this.firstPeer) {
      this.firstPeer = true;
      this.emit('FirstPeerConnected', { peerId, sinceStartMs: Date.now() - this.startTs });
    }
  }

  closed(conn) {
    const entry = this.conns.get(conn.id);
    if (!entry) return;
    this.conns.delete(conn.id);
    this.changes++;
    const end = entry.reason ?? ending(conn.status);
    entry.handle.close({ ...end, closeTs: conn.timeline.close ?? Date.now() });
    const open = conn.timeline.open;
    this.emit('PeerDisconnected', { peerId: conn.remotePeer.toString(), transport: transportOf(conn.remoteAddr),
      timeOpen: open, age: Date.now() - open, reason: end.reason });
  }

  // ------------------------------------------------------------ streams

  trackProtocolStream(stream) {
    this.guard(() => this.trackStream(stream));
  }

  trackStream(stream) {
    let entry;
    for (const c of this.components.connectionManager.getConnections()) {
      if (c.streams.includes(stream)) {
        entry = this.conns.get(c.id);
        if (!entry) {
          this.opened(c);
          entry = this.conns.get(c.id);
        }
        break;
      }
    }
    if (!entry) return; // already gone with its connection
    const handle = entry.handle.openStream({
      id: String(stream.id), protocol: stream.protocol, direction: stream.direction,
      openTs: stream.timeline?.open ?? Date.now(),
    });
    entry.streams.set(stream.id, handle);
    this.changes++;
    // payload bytes after negotiation; no 'message' listener of our own
    const dispatch = stream.dispatchEvent.bind(stream);
    stream.dispatchEvent = (evt) => {
      if (evt.type === 'message' && evt.data) this.guard(() => handle.received(evt.data.byteLength));
      return dispatch(evt);
    };
    const send = stream.send.bind(stream);
    stream.send = (buf) => {
      this.guard(() => handle.sent(buf.byteLength));
      return send(buf);
    };
    stream.addEventListener('close', (evt) => this.guard(() => {
      entry.streams.delete(stream.id);
      this.changes++;
      handle.close({ ...ending(stream.status, evt.error), closeTs: stream.timeline?.close ?? Date.now() });
    }), { once: true });
  }

  // ------------------------------------------------------------ the rest of Metrics

  registerMetric(name, opts) {
    if (opts?.calculate) {
      this.calculated.set(name, opts.calculate);
      return undefined;
    }
    return metricStub();
  }

  registerMetricGroup(name, opts) {
    return this.registerMetric(name, opts);
  }

  registerCounter(name, opts) {
    return this.registerMetric(name, opts);
  }

  registerCounterGroup(name, opts) {
    if (opts?.calculate) return this.registerMetric(name, opts);
    const stub = metricStub();
    if (name.endsWith('_kad_dht_inbound_rpc_errors_total')) stub.increment = () => { this.dht.incoming.error++; };
    if (name.endsWith('_connection_manager_dials_total')) stub.increment = () => { this.dial.success++; };
    if (name.endsWith('_connection_manager_dial_errors_total')) stub.increment = () => { this.dial.error++; };
    return stub;
  }

  registerHistogram(name, opts) {
    return this.registerMetric(name, opts);
  }

  registerHistogramGroup(name, opts) {
    return this.registerMetric(name, opts);
  }

  registerSummary(name, opts) {
    return this.registerMetric(name, opts);
  }

  registerSummaryGroup(name, opts) {
    return this.registerMetric(name, opts);
  }

  createTrace() {
    return undefined;
  }

  traceFunction(name, fn) {
    if (name !== 'libp2p.kadDHT.sendRequest') return fn;
    // every outbound DHT request, the DHT's own refreshes included
    const self = this;
    return async function* sendRequest(to, msg, options) {
      const start = Date.now();
      let result = 'error';
      let error;
      try {
        for await (const event of fn(to, msg, options)) {
          if (event.name === 'PEER_RESPONSE') result = 'success';
          else if (event.name === 'QUERY_ERROR') { result = 'error'; error = event.error; }
          yield event;
        }
      } catch (err) {
        error = err;
        throw err;
      } finally {
        const timeout = error?.name === 'TimeoutError' || error?.name === 'AbortError';
        if (result === 'success') self.dht.outgoing.success++;
        else if (timeout) { result = 'timeout'; self.dht.outgoing.timeout++; } else self.dht.outgoing.error++;
        self.emit('OutboundDHTQuery', { result, totalTimeMs: Date.now() - start, totalSteps: 1,
          peerIds: [to.toString()], type: String(msg.type), direction: 'outbound' });
      }
    };
  }

  // ------------------------------------------------------------ events and counters

  emit(name, props) {
    const type = this.events[name];
    if (type) this.guard(() => this.intro.emit(type, props));
  }

  identified(result) {
    this.identify++;
    this.emit('IdentityKnown', { peerId: result.peerId.toString(),
      addrs: (result.listenAddrs ?? []).map((a) => a.toString()) });
  }

  message({ msg }) {
    const topic = msg?.topic;
    if (!topic) return;
    const counts = this.topicCounts.get(topic) ?? { received: 0, bytes: 0 };
    counts.received++;
    counts.bytes += msg.data?.byteLength ?? 0;
    this.topicCounts.set(topic, counts);
    this.emit('MessageReceived', { topic, from: msg.from?.toString(), size: msg.data?.byteLength ?? 0 });
  }

  /** Inbound DHT requests, with their sender: the DHT's request handler, wrapped. */
  wrapDhtInbound() {
    const rpc = this.service('dht')?.rpc;
    if (!rpc || typeof rpc.handleMessage !== 'function') return;
    const handle = rpc.handleMessage.bind(rpc);
    rpc.handleMessage = async (peerId, msg) => {
      const start = Date.now();
      let result = 'success';
      try {
        return await handle(peerId, msg);
      } catch (err) {
        result = 'error';
        throw err;
      } finally {
        if (result === 'success') this.dht.incoming.success++;
        this.emit('InboundDHTQuery', { result, totalTimeMs: Date.now() - start, totalSteps: 1,
          peerIds: [peerId.toString()], type: String(msg.type), direction: 'inbound' });
      }
    };
  }

  /** Pings made through the ping service, counted with their outcome. */
  wrapPing() {
    const svc = this.service('ping');
    if (!svc || typeof svc.ping !== 'function') return;
    const ping = svc.ping.bind(svc);
    const self = this.components.peerId;
    svc.ping = async (peer, opts) => {
      // kad-dht pings the contacts of a full bucket, and its trie holds the
      // node itself: the ping service refuses to dial self. Not a ping.
      if (this.guard(() => peer?.equals?.(self) === true)) return ping(peer, opts);
      this.ping.sent++;
      try {
        const rtt = await ping(peer, opts);
        const id = peer?.toString?.().split('/p2p/').pop();
        if (id) this.guard(() => this.table.pingPeer({ peerId: id, lastRttNs: Math.round(rtt * 1e6) }));
        return rtt;
      } catch (err) {
        this.ping.failures++;
        throw err;
      }
    };
  }

  // ------------------------------------------------------------ periodic reads

  async refresh() {
    if (this.stopped) return;
    const n = this.refreshes++;
    try {
      this.refreshConnections();
      this.refreshDht();
      const sweepEvery = Math.max(1, Math.round((this.options.peerSweepMs ?? 30_000) / (this.options.refreshMs ?? 1000)));
      if (n % sweepEvery === 0 || !this.kbucket()) await this.refreshPeers();
      if (this.stopped) return; // stopped while the peer store was read
      this.refreshPubsub(n % 5 === 0); // scores and times in mesh move slowly; memberships are sent at once
      this.refreshCounters();
    } catch (err) {
      // a node being stopped under us is not a fault; the next refresh tries again
      if (!this.stopped) this.guard(() => { throw err; });
    }
  }

  refreshConnections() {
    for (const entry of this.conns.values()) {
      const { conn } = entry;
      if (conn.rtt !== entry.rtt) {
        entry.rtt = conn.rtt;
        entry.handle.update({
          peerId: conn.remotePeer.toString(), direction: conn.direction,
          status: conn.status === 'open' ? 'active' : 'closing',
          transportName: transportOf(conn.remoteAddr), remoteAddr: conn.remoteAddr.toString(),
          localAddr: entry.rec.maConn?.localAddr?.toString?.(), openTs: conn.timeline.open,
          multiplexer: conn.multiplexer, encryption: conn.encryption,
          latencyNs: conn.rtt != null ? Math.round(conn.rtt * 1e6) : undefined,
        });
        if (conn.rtt != null) this.table.pingPeer({ peerId: conn.remotePeer.toString(), lastRttNs: Math.round(conn.rtt * 1e6) });
      }
    }
  }

  /** A peer store entry as the table takes it. */
  peerEntry(p) {
    return {
      peerId: p.id.toString(),
      addrs: p.addresses.map((a) => a.multiaddr.toString()),
      protocols: p.protocols,
      agentVersion: p.metadata.has('AgentVersion') ? DECODER.decode(p.metadata.get('AgentVersion')) : undefined,
      protocolVersion: p.metadata.has('ProtocolVersion') ? DECODER.decode(p.metadata.get('ProtocolVersion')) : undefined,
      tags: [...p.tags].map(([name, t]) => ({ name, value: t.value })),
    };
  }

  /** One peer, pushed only when it differs from what the table has: most peers stay the same for long. */
  pushPeer(p) {
    const entry = this.peerEntry(p);
    const key = JSON.stringify(entry);
    if (this.peers.get(entry.peerId) !== key) this.table.peer(entry);
    this.peers.set(entry.peerId, key);
  }

  /**
   * The whole peer store. Changes arrive as `peer:update` events; this
   * sweep (at start, then every peerSweepMs) finds what no event tells:
   * deleted peers. Reading the store is most of a refresh's cost (the
   * store decodes every record), hence not every second.
   */
  async refreshPeers() {
    const store = this.components.peerStore;
    const all = await store.all();
    if (this.stopped) return;
    const seen = new Set();
    const seenDht = new Set();
    const trie = this.kbucket();
    for (const p of all) {
      const id = p.id.toString();
      seen.add(id);
      this.pushPeer(p);
      if (!trie && p.tags.has('kad-peer')) {
        seenDht.add(id);
        if (!this.dhtPeers.has(id)) {
          const cpl = commonPrefixLength(this.selfKad, kadId(p.id));
          this.dhtPeers.set(id, cpl);
          this.table.dhtPeer(cpl, { peerId: id, ageMs: 0 }); // the table ages it from here
        }
      }
    }
    for (const id of this.peers.keys()) {
      if (!seen.has(id)) {
        this.peers.delete(id);
        this.table.removePeer(id);
      }
    }
    if (trie) return;
    for (const id of this.dhtPeers.keys()) {
      if (!seenDht.has(id)) {
        this.dhtPeers.delete(id);
        this.table.removeDhtPeer(id);
      }
    }
  }

  /** The DHT's k-bucket trie, where this kad-dht exposes it. */
  kbucket() {
    const kb = this.service('dht')?.routingTable?.kb;
    return kb && typeof kb.toIterable === 'function' ? kb : undefined;
  }

  /** The routing table as the trie holds it now: every contact at its common prefix length with us. */
  refreshDht() {
    const kb = this.kbucket();
    if (!kb) return;
    const seen = new Set();
    for (const contact of kb.toIterable()) {
      const id = contact.peerId.toString();
      if (contact.peerId.equals(this.components.peerId)) continue; // the trie holds the node itself
      seen.add(id);
      const cpl = commonPrefixLength(this.selfKad, contact.kadId);
      if (this.dhtPeers.get(id) !== cpl) {
        this.dhtPeers.set(id, cpl);
        this.table.dhtPeer(cpl, { peerId: id, ageMs: 0 }); // the table ages it from here
      }
    }
    for (const id of this.dhtPeers.keys()) {
      if (!seen.has(id)) {
        this.dhtPeers.delete(id);
        this.table.removeDhtPeer(id);
      }
    }
  }

  refreshPubsub(rescore = true) {
    const ps = this.service('pubsub');
    if (!ps || typeof ps.getTopics !== 'function') return;
    this.table.router('gossipsub', '/meshsub/1.2.0');
    const now = Date.now();
    const topics = new Set(ps.getTopics());
    for (const [topic] of ps.fanout ?? []) topics.add(topic);
    for (const topic of topics) this.refreshTopic(ps, topic, now, rescore);
  }

  /**
   * One topic: its subscription, counts, mesh and fanout. The mesh is sent
   * again when it changed or, with `rescore`, for its scores and times in mesh.
   */
  refreshTopic(ps, topic, now, rescore = false) {
    const counts = this.topicCounts.get(topic) ?? { received: 0, bytes: 0 };
    this.table.topic({
      name: topic, subscribed: ps.getTopics().includes(topic), peerCount: ps.getSubscribers(topic).length,
      messages: { received: counts.received }, bytes: { received: counts.bytes },
    });
    const mesh = ps.getMeshPeers(topic);
    const key = mesh.slice().sort().join(' ');
    if (rescore || this.meshes.get(topic) !== key) {
      this.meshes.set(topic, key);
      this.table.mesh(topic, mesh.map((peerId) => ({
        peerId, score: typeof ps.getScore === 'function' ? ps.getScore(peerId) : 0,
        timeInMeshMs: now - (this.grafted.get(`${topic} ${peerId}`) ?? now),
      })));
    }
    const fanout = [...(ps.fanout?.get(topic) ?? [])];
    const fkey = fanout.slice().sort().join(' ');
    if (this.fanouts.get(topic) !== fkey) {
      this.fanouts.set(topic, fkey);
      this.table.fanout(topic, fanout);
    }
  }

  refreshCounters() {
    const dht = this.service('dht');
    if (dht) {
      this.table.dht({ protocol: dht.protocol ?? '/ipfs/kad/1.0.0', enabled: true, k: dht.k, alpha: dht.a,
        disjointPaths: dht.d, startTs: this.startTs, incoming: this.dht.incoming, outgoing: this.dht.outgoing });
    }
    this.table.identify({ requestsOut: this.identify });
    this.table.ping(this.ping);
    let inFlight = 0;
    const queue = this.calculated.get('libp2p_dial_queue');
    if (queue) {
      try {
        const q = queue();
        if (q && typeof q.running === 'number') inFlight = q.running;
      } catch { /* the node is stopping */ }
    }
    this.table.dialer({ inFlight, success: this.dial.success, error: this.dial.error });
    const tm = this.components.transportManager;
    if (tm?.getAddrs) {
      const addrs = tm.getAddrs().map((a) => a.toString());
      const byTransport = new Map();
      for (const a of tm.getAddrs()) {
        const t = transportOf(a);
        byTransport.set(t, [...(byTransport.get(t) ?? []), a.toString()]);
      }
      for (const [t, list] of byTransport) this.table.transport({ id: t, name: t, listenAddrs: list, listening: true, dialing: true });
      if (!addrs.length) this.table.transport({ id: 'tcp', name: 'tcp', dialing: true });
    }
  }
}

/**
 * A js-libp2p metrics component that serves the node through peerscope:
 * `createLibp2p({ metrics: peerscope({ port: 7878 }) })`.
 *
 * @param {object} [options]
 * @param {number} [options.port] - the endpoint's port (0 or absent: any free one; read `.port` after start)
 * @param {string} [options.bind] - address to bind (default 127.0.0.1)
 * @param {string} [options.token] - access token (required for a non-loopback bind)
 * @param {string[]} [options.allowedOrigins] - extra browser Origins allowed to connect
 * @param {number} [options.refreshMs] - how often the DHT, gossipsub and counters are read (default 1000)
 * @param {number} [options.peerSweepMs] - how often the whole peer store is read for deleted peers
 *   (default 30000; changes arrive as they happen, from the peer store's own events)
 * @param {string} [options.implementation] - Runtime.implementation (default "js-libp2p")
 * @param {string} [options.version] - Runtime.version
 * @param {(level: string, message: string) => void} [options.onLog] - the library's log lines
 * @returns {(components: object) => PeerscopeMetrics}
 */
export function peerscope(options = {}) {
  return (components) => new PeerscopeMetrics(components, options);
}
