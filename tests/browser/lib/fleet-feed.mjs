// A stand-in for peerscope-hub's fleet socket, for the mock endpoint: N
// synthetic nodes (lib/synthetic.mjs, seeds 1..N, so each has its own peer
// id), one Fleet table a step with a row per node, and the events of every
// node with Event.node set. Each node is also re-served on its own, as the
// hub does at /node/NAME/introspect (nodeFeed(name)).
//
// The rows are deterministic in what the tests compare (names, up/down,
// alerts, milestones, dropped, reconnects); peers, connections and streams
// are counted from each node's own state, so they agree with its node page.

import { SyntheticHost } from './synthetic.mjs';

export const FLEET_MILESTONES = ['first_peer', 'peers_8', 'sync_completed'];

const pad = (i) => String(i + 1).padStart(2, '0');

/** The fleet row values that do not come from the node's state (i: 0-based). */
export function fleetRowPlan(i, n) {
  return {
    name: `node-${pad(i)}`,
    up: i !== n - 1, // the last node is down
    error: i === n - 1 ? 'connection refused' : '',
    rate_in: ((i * 37) % 20 + 1) * 1024,
    rate_out: ((i * 11) % 13 + 1) * 512,
    alerts_critical: i % 7 === 0 ? 1 : 0,
    alerts_warning: i % 3,
    alerts_info: i % 2,
    // first_peer everywhere, peers_8 on even nodes, sync on every third
    milestones: [
      { name: 'first_peer', duration_ms: 100 + 10 * i },
      ...(i % 2 === 0 ? [{ name: 'peers_8', duration_ms: 2000 + 100 * i }] : []),
      ...(i % 3 === 0 ? [{ name: 'sync_completed', duration_ms: 5000 + 250 * i }] : []),
    ],
    dropped: i === 4 ? 3 : 0,
    reconnects: i % 4,
  };
}

/** One node: a synthetic host stepped at most every 250 ms, its events buffered for every reader. */
class FleetNode {
  constructor(i, n, startMs, eventRate) {
    this.plan = fleetRowPlan(i, n);
    this.host = new SyntheticHost({ seed: i + 1, conns: 3 + ((i * 5) % 9), streamsPerConn: 2, peerstoreExtra: 4, startMs });
    this.eventRate = eventRate;
    this.state = null;
    this.seq = 0;
    this.lastAt = 0;
    this.buffered = [];
    this.received = 0;
  }

  advance(now) {
    if (this.state && now - this.lastAt < 250) return;
    const dt = this.lastAt ? now - this.lastAt : 0;
    this.host.advance(now);
    this.lastAt = now;
    this.state = this.host.state(now, ++this.seq);
    const evs = this.host.takeEvents();
    // extra load: eventRate events/s of one small type
    const extra = Math.round((this.eventRate * dt) / 1000);
    for (let k = 0; k < extra; k++) {
      evs.push({ type: { name: 'FleetTick', property_types: [] }, ts: now, content: JSON.stringify({ k }), seq: ++this.host.eventSeq });
    }
    for (const e of evs) this.buffered.push(e);
    this.received += evs.length;
    while (this.buffered.length > 2000) this.buffered.shift();
  }

  /** Events after seq (a reader's cursor). */
  eventsAfter(seq) {
    return this.buffered.filter((e) => e.seq > seq);
  }

  row(path, startMs) {
    const st = this.state;
    const rt = this.host.runtime();
    const conns = st.subsystems.connections.filter((c) => c.status === 0);
    const peers = new Set(conns.map((c) => c.peer_id));
    let streams = 0;
    for (const c of conns) streams += c.streams ? c.streams.streams.filter((s) => s.status === 0).length : 0;
    const p = this.plan;
    return {
      name: p.name,
      source: `pull ws://127.0.0.1:${7000 + this.host.peerId.length}/introspect`,
      up: p.up,
      since_ts: startMs,
      error: p.error,
      path,
      peer_id: rt.peer_id,
      implementation: rt.implementation,
      version: rt.version,
      platform: rt.platform,
      start_ts: rt.start_ts,
      state_ts: st.instant_ts,
      peers: p.up ? peers.size : 0,
      connections: p.up ? conns.length : 0,
      streams: p.up ? streams : 0,
      rate_in: p.up ? p.rate_in : 0,
      rate_out: p.up ? p.rate_out : 0,
      alerts_critical: p.alerts_critical,
      alerts_warning: p.alerts_warning,
      alerts_info: p.alerts_info,
      milestones: p.milestones.map((m) => ({ ...m, reached_ts: rt.start_ts + m.duration_ms, from: '' })),
      last_seq: this.host.eventSeq,
      events: this.received,
      dropped: p.dropped,
      reconnects: p.reconnects,
    };
  }
}

/** The feed of a node re-served alone: the mock's session code treats it as any synthetic host. */
class NodeFeed {
  constructor(node) { this.node = node; }

  runtimeMsg() { return this.node.host.runtime(); }

  step(session, now) {
    this.node.advance(now);
    if (session.feedSeq === undefined) session.feedSeq = this.node.host.eventSeq;
    const events = this.node.eventsAfter(session.feedSeq);
    if (events.length) session.feedSeq = events[events.length - 1].seq;
    return { state: this.node.state, events };
  }
}

/**
 * opts: nodes (20), eventRate (extra events per second per node, 0),
 * intervalMs (how often the fleet table is pushed, 1000).
 */
export class FleetFeed {
  constructor(opts = {}) {
    this.n = opts.nodes || 20;
    this.startMs = Date.now();
    this.nodes = [];
    for (let i = 0; i < this.n; i++) this.nodes.push(new FleetNode(i, this.n, this.startMs, opts.eventRate || 0));
    this.byName = new Map(this.nodes.map((nd) => [nd.plan.name, nd]));
    this.intervalMs = opts.intervalMs || 1000;
  }

  runtimeMsg() {
    return {
      implementation: 'peerscope-hub',
      version: '0.1.0',
      platform: 'linux/amd64',
      peer_id: '',
      event_types: [],
      peerscope_version: '0.1.0',
      start_ts: this.startMs,
      capabilities: ['fleet'],
    };
  }

  pushEveryMs() { return this.intervalMs; }

  fleet(now) {
    for (const nd of this.nodes) nd.advance(now);
    return {
      nodes: this.nodes.map((nd) => nd.row(`/node/${nd.plan.name}/introspect`, this.startMs)),
      ts: now,
      hub_version: '0.1.0',
    };
  }

  /** A fleet step: the table, and the events of the up nodes since the session's cursors. */
  step(session, now) {
    const fleet = this.fleet(now);
    if (!session.fleetSeq) session.fleetSeq = new Map(this.nodes.map((nd) => [nd.plan.name, nd.host.eventSeq]));
    const events = [];
    for (const nd of this.nodes) {
      if (!nd.plan.up) continue;
      const evs = nd.eventsAfter(session.fleetSeq.get(nd.plan.name));
      if (evs.length) session.fleetSeq.set(nd.plan.name, evs[evs.length - 1].seq);
      for (const e of evs) events.push({ ...e, node: nd.plan.name });
    }
    events.sort((a, b) => a.ts - b.ts);
    return { fleet, events };
  }

  /** The feed of node `name` alone, or null. */
  nodeFeed(name) {
    const nd = this.byName.get(name);
    return nd ? new NodeFeed(nd) : null;
  }
}
