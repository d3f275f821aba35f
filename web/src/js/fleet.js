// What the page holds of a fleet (peerscope-hub's /introspect): the newest
// Fleet table as rows, the union of the nodes' milestone names (one column
// each), and the events of every node (Event.node), bounded. Pure data, no
// DOM: views/fleet.js draws it.

/** Fleet events held at most; the oldest go first. */
export const FLEET_EVENTS_MAX = 5000;

/**
 * Where a node's own page is: its Fleet.Node.path without the trailing
 * "introspect" ("/node/a/introspect" -> "/node/a/"). '' when the hub gave
 * no usable path.
 */
export function nodePagePath(path) {
  if (typeof path !== 'string' || !path.startsWith('/')) return '';
  return path.endsWith('/introspect') ? path.slice(0, -'introspect'.length) : path.endsWith('/') ? path : `${path}/`;
}

/**
 * The address that opens a node's page from this page (loc: the page's
 * location, explicitWs: the ?ws= this page was given, or ''). Same origin:
 * the node's page under the hub. A page watching a hub elsewhere (?ws=)
 * stays where it is and watches the node's socket on that hub instead.
 */
export function nodeHref(loc, node, explicitWs) {
  const page = nodePagePath(node.path);
  if (!page) return '';
  if (!explicitWs) return page;
  const ws = new URL(`${page}introspect`, explicitWs);
  return `${loc.pathname}?ws=${encodeURIComponent(ws.href)}`;
}

function rowOf(n, i) {
  const ms = new Map();
  for (const m of n.milestones || []) if (m && m.name) ms.set(m.name, m);
  return {
    i, // the hub's order: the tie-break of every sort
    name: n.name,
    source: n.source,
    up: !!n.up,
    since: n.since_ts,
    error: n.error,
    path: n.path,
    peer: n.peer_id,
    impl: [n.implementation, n.version].filter(Boolean).join(' '),
    platform: n.platform,
    startTs: n.start_ts,
    stateTs: n.state_ts,
    peers: n.peers,
    conns: n.connections,
    streams: n.streams,
    rateIn: n.rate_in,
    rateOut: n.rate_out,
    crit: n.alerts_critical,
    warn: n.alerts_warning,
    info: n.alerts_info,
    ms,
    lastSeq: n.last_seq,
    events: n.events,
    dropped: n.dropped,
    reconnects: n.reconnects,
    hay: undefined,
  };
}

export class FleetModel {
  constructor(max = FLEET_EVENTS_MAX) {
    this.max = max;
    this.fleet = null;           // the newest decoded Fleet
    this.rows = [];
    this.milestones = [];        // names, in order of first appearance
    this.fleets = 0;             // tables received
    this.events = [];            // oldest first; {n, ts, seq, node, type, content}
    this.eventsSeen = 0;
    this.nodeNames = new Set();  // of rows and events
    this.typeNames = new Set();
    this.counter = 0;
  }

  /** Take one Fleet table (decoded). */
  takeFleet(f) {
    this.fleet = f;
    this.fleets++;
    this.rows = (f.nodes || []).map(rowOf);
    const seen = new Set(this.milestones);
    for (const r of this.rows) {
      this.nodeNames.add(r.name);
      for (const name of r.ms.keys()) if (!seen.has(name)) { seen.add(name); this.milestones.push(name); }
    }
  }

  /** Take one event of the fleet stream (decoded); keeps at most max. */
  addEvent(ev) {
    const type = ev.type ? ev.type.name : '';
    const e = { n: this.counter++, ts: ev.ts || Date.now(), seq: ev.seq, node: ev.node || '', type, content: ev.content || '', hay: undefined };
    this.events.push(e);
    this.eventsSeen++;
    if (e.node) this.nodeNames.add(e.node);
    if (type) this.typeNames.add(type);
    // Trim in batches: one splice per max/4 events instead of a shift each.
    if (this.events.length > this.max + (this.max >> 2)) this.events.splice(0, this.events.length - this.max);
    return e;
  }

  /** Events held, newest first, of node (or every node: '') and type (or every type). */
  filtered(node, type, words) {
    const out = [];
    for (let i = this.events.length - 1; i >= 0 && out.length < this.max; i--) {
      const e = this.events[i];
      if (node && e.node !== node) continue;
      if (type && e.type !== type) continue;
      if (words && words.length) {
        if (e.hay === undefined) e.hay = `${e.node} ${e.type} ${e.content}`.toLowerCase();
        if (!words.every((w) => e.hay.includes(w))) continue;
      }
      out.push(e);
    }
    return out;
  }

  /** Totals over the rows: nodes, up, and sums for the toolbar. */
  totals() {
    const t = { nodes: this.rows.length, up: 0, peers: 0, conns: 0, crit: 0, warn: 0 };
    for (const r of this.rows) {
      if (r.up) t.up++;
      t.peers += r.peers || 0;
      t.conns += r.conns || 0;
      t.crit += r.crit || 0;
      t.warn += r.warn || 0;
    }
    return t;
  }
}
