// What the page holds of one session (live, or a recording file): the
// runtime, the states within the retention period (kept serialized and
// decoded on demand, so scrubbing back costs memory only for bytes), the
// events, and the cursor that says which state the views show.
//
// Delta states (a live session asks for them) are turned back into full
// states here, at the door: every held state, view, rate and export works
// on full states, and an exported file stays a valid 2020 recording.

import { buildRecording } from './wire.js';
import { deriveState, streamCount } from './derive.js';
import { applyDelta, isDelta, DeltaError } from './delta.js';

const MAX_STATES = 2000;      // guards against a tiny interval with a long retention
const MAX_EVENTS = 50000;
const DECODED_CACHE = 3;       // the shown state, the one before it (rates), one more
// While a full state is awaited, deltas that still cannot apply are normal
// (each is based on the one dropped before it); only this many of them
// without the answer mean the request itself went missing.
const RESYNC_RETRY_AFTER = 10;
// Resyncs with fewer states than this between them count as repeating;
// this many repeating ones in a row are worth telling the user about.
const RESYNC_CALM_STATES = 30;
const RESYNC_REPEATS = 3;

export class Store {
  constructor(codec) {
    this.codec = codec;
    this.listeners = new Set();
    /**
     * Called as onResync({error, repeated}) when a live delta state could
     * not be applied and was dropped: the session should send REQUEST STATE.
     * `repeated` is true once, when resyncs keep following each other.
     */
    this.onResync = () => {};
    this.statusNames = codec.enumNames('Status');
    this.reset({ kind: 'live', name: '' });
  }

  /** Forget everything and start a new session from source {kind: 'live'|'file', name}. */
  reset(source) {
    this.source = source;
    this.runtime = null;
    this.runtimeBytes = null;
    this.eventTypes = new Map(); // name -> [{name, type, has_multiple}]
    this.states = [];            // {n, ts, seq, bytes, summary, rebuilt}
    this.events = [];            // {n, ts, seq, type, content, bytes}
    this.notices = [];           // {n, ts, bytes}
    this.eventCounts = new Map();
    this.eventsSeen = 0;
    this.droppedEvents = 0;      // reported by notices plus gaps in Event.seq
    this.corrupt = 0;            // records skipped while reading a file
    this.counter = 0;            // arrival order, for export
    this.retentionMs = 120000;
    this.intervalMs = 1000;
    this.cursor = -1;            // -1: follow the newest state
    this.cache = new Map();      // state entry -> {state, derived}
    // Read-only for everyone else (the page exposes a copy to tests).
    this.stats = { fullStates: 0, deltasApplied: 0, deltasDropped: 0, resyncs: 0 };
    this.newSession();
    this.emit({ reset: true });
  }

  /**
   * A new connection starts: its first state is a full one, and deltas of
   * the old one never arrive. Events restart their numbering as well.
   */
  newSession() {
    this.base = null;            // the last full state received (decoded): what a delta applies to
    this.awaitingFull = false;   // a REQUEST STATE for a resync is out
    this.droppedWhileAwaiting = 0;
    this.statesSinceResync = Infinity;
    this.resyncStreak = 0;
    this.resyncToldUser = false;
    this.lastEventSeq = 0;
  }

  subscribe(fn) {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  emit(change) {
    for (const fn of this.listeners) fn(change);
  }

  setConfig(cfg) {
    if (cfg.retention_period_ms) this.retentionMs = cfg.retention_period_ms;
    if (cfg.state_snapshot_interval_ms) this.intervalMs = cfg.state_snapshot_interval_ms;
    this.trim();
    this.emit({ config: true });
  }

  /**
   * Take one serialized ServerMessage (bytes) and its decoded form.
   * Responses are the client's business and are not kept.
   */
  ingest(bytes, msg) {
    switch (msg.payload) {
      case 'runtime': return this.addRuntime(bytes, msg.runtime);
      case 'state': return this.takeState(bytes, msg);
      case 'event': return this.addEvent(bytes, msg.event);
      case 'notice': return this.addNotice(bytes, msg.notice);
      default: return undefined;
    }
  }

  addRuntime(bytes, rt) {
    this.runtime = rt;
    this.runtimeBytes = bytes;
    for (const et of rt.event_types) this.learnType(et);
    this.emit({ runtime: true });
  }

  learnType(et) {
    if (et.name && et.property_types.length) this.eventTypes.set(et.name, et.property_types);
  }

  /** A State from the wire: full, or a delta to rebuild into one first. */
  takeState(bytes, msg) {
    let state = msg.state;
    if (isDelta(state)) {
      try {
        state = applyDelta(this.base, state);
      } catch (e) {
        if (!(e instanceof DeltaError)) throw e;
        this.deltaFailed(e);
        return undefined;
      }
      // What the store holds (and exports) is the full state.
      bytes = this.codec.encode('ServerMessage', { version: msg.version, payload: 'state', state });
      this.stats.deltasApplied++;
    } else {
      this.stats.fullStates++;
      this.awaitingFull = false;
    }
    this.base = state;
    this.statesSinceResync++;
    return this.addState(bytes, state, isDelta(msg.state));
  }

  deltaFailed(error) {
    this.stats.deltasDropped++;
    if (this.source.kind !== 'live') {
      // Nobody to ask in a file: the delta is lost, like a corrupted record.
      this.corrupt++;
      return;
    }
    if (this.awaitingFull && ++this.droppedWhileAwaiting < RESYNC_RETRY_AFTER) return;
    this.awaitingFull = true;
    this.droppedWhileAwaiting = 0;
    this.stats.resyncs++;
    this.resyncStreak = this.statesSinceResync < RESYNC_CALM_STATES ? this.resyncStreak + 1 : 1;
    this.statesSinceResync = 0;
    const repeated = !this.resyncToldUser && this.resyncStreak >= RESYNC_REPEATS;
    if (repeated) this.resyncToldUser = true;
    this.onResync({ error, repeated });
  }

  /** rebuilt: the state came as a delta (told apart for diagnostics only). */
  addState(bytes, state, rebuilt = false) {
    const prev = this.states[this.states.length - 1];
    const ts = state.instant_ts || Date.now();
    const entry = { n: this.counter++, ts, seq: state.seq, bytes, summary: null, rebuilt };
    entry.summary = summarize(state, prev ? prev.summary : null, ts);
    this.states.push(entry);
    this.remember(entry, state);
    this.trim();
    this.emit({ state: entry });
  }

  addEvent(bytes, ev) {
    const type = ev.type ? ev.type.name : '';
    if (ev.type) this.learnType(ev.type);
    if (ev.seq && this.lastEventSeq && ev.seq > this.lastEventSeq + 1) {
      this.droppedEvents += ev.seq - this.lastEventSeq - 1;
    }
    if (ev.seq > this.lastEventSeq) this.lastEventSeq = ev.seq;
    const entry = { n: this.counter++, ts: ev.ts || Date.now(), seq: ev.seq, type, content: ev.content, bytes, parsed: undefined };
    this.events.push(entry);
    this.eventsSeen++;
    this.eventCounts.set(type, (this.eventCounts.get(type) || 0) + 1);
    this.trim();
    this.emit({ event: entry });
  }

  addNotice(bytes, notice) {
    this.notices.push({ n: this.counter++, ts: Date.now(), bytes });
    this.droppedEvents += notice.dropped || 0;
    this.emit({ notice });
  }

  /** Drop what falls out of the retention period (live sessions only). */
  trim() {
    if (this.source.kind !== 'live') return;
    const newest = this.states.length ? this.states[this.states.length - 1].ts : 0;
    const newestEv = this.events.length ? this.events[this.events.length - 1].ts : 0;
    const horizon = Math.max(newest, newestEv) - this.retentionMs;
    let drop = 0;
    // Keep the state just before the horizon: rates at the oldest kept state need it.
    while (drop < this.states.length - 1 && (this.states[drop + 1].ts < horizon || this.states.length - drop > MAX_STATES)) drop++;
    if (drop) {
      for (let i = 0; i < drop; i++) this.cache.delete(this.states[i]);
      this.states.splice(0, drop);
      if (this.cursor >= 0) this.cursor = Math.max(0, this.cursor - drop);
    }
    let edrop = 0;
    while (edrop < this.events.length && (this.events[edrop].ts < horizon || this.events.length - edrop > MAX_EVENTS)) edrop++;
    if (edrop) {
      for (let i = 0; i < edrop; i++) {
        const t = this.events[i].type;
        this.eventCounts.set(t, this.eventCounts.get(t) - 1);
      }
      this.events.splice(0, edrop);
    }
    let ndrop = 0;
    while (ndrop < this.notices.length && this.notices[ndrop].ts < horizon) ndrop++;
    if (ndrop) this.notices.splice(0, ndrop);
  }

  remember(entry, state) {
    this.cache.set(entry, { state, derived: null });
    while (this.cache.size > DECODED_CACHE) {
      const oldest = this.cache.keys().next().value;
      this.cache.delete(oldest);
    }
  }

  decoded(entry) {
    let c = this.cache.get(entry);
    if (!c) {
      const msg = this.codec.decode('ServerMessage', entry.bytes);
      this.remember(entry, msg.state);
      c = this.cache.get(entry);
    } else {
      // refresh its place in the LRU order
      this.cache.delete(entry);
      this.cache.set(entry, c);
    }
    return c;
  }

  /** Index of the state the views show. */
  cursorIndex() {
    return this.cursor < 0 ? this.states.length - 1 : Math.min(this.cursor, this.states.length - 1);
  }

  following() {
    return this.cursor < 0;
  }

  /** Show state i (or follow the newest with i < 0 or past the end). */
  seek(i) {
    const last = this.states.length - 1;
    const follow = i < 0 || i >= last;
    // A file has no "newest to follow": its end is its last state.
    const next = follow ? (this.source.kind === 'live' ? -1 : Math.max(0, last)) : i;
    if (next === this.cursor) return;
    this.cursor = next;
    this.emit({ seek: true });
  }

  /** The shown state, decoded and derived: {entry, state, view} or null. */
  current() {
    const i = this.cursorIndex();
    if (i < 0) return null;
    const entry = this.states[i];
    const c = this.decoded(entry);
    if (!c.derived) {
      const prevEntry = i > 0 ? this.states[i - 1] : null;
      const prev = prevEntry ? this.decoded(prevEntry).state : null;
      c.derived = deriveState(c.state, prev);
    }
    return { entry, state: c.state, view: c.derived, index: i };
  }

  /** Time of the shown state (or now when there is none). */
  cursorTs() {
    const i = this.cursorIndex();
    return i >= 0 ? this.states[i].ts : Date.now();
  }

  /** Parsed JSON content of an event entry (null when it is not JSON). */
  eventContent(e) {
    if (e.parsed === undefined) {
      try {
        const v = JSON.parse(e.content || '{}');
        e.parsed = v && typeof v === 'object' && !Array.isArray(v) ? v : { value: v };
      } catch {
        e.parsed = null;
      }
    }
    return e.parsed;
  }

  /**
   * Everything held, as a recording file (Uint8Array): the runtime first,
   * then states, events and notices in the order they arrived.
   */
  exportRecording() {
    const all = [...this.states, ...this.events, ...this.notices].sort((a, b) => a.n - b.n);
    const msgs = [];
    if (this.runtimeBytes) msgs.push(this.runtimeBytes);
    for (const e of all) msgs.push(e.bytes);
    return buildRecording(msgs);
  }

  /** Load a whole recording (its decoded messages) as the session. */
  loadRecording(name, items, skipped) {
    const quiet = this.listeners;
    this.listeners = new Set(); // one notification at the end, not thousands
    try {
      this.reset({ kind: 'file', name });
      this.corrupt = skipped;
      for (const { bytes, msg } of items) this.ingest(bytes, msg);
    } finally {
      this.listeners = quiet;
    }
    // A file opens on its last state, like a live session.
    this.cursor = Math.max(0, this.states.length - 1);
    this.emit({ reset: true, loaded: true });
  }
}

/** Totals of one state, kept for every held state (charts, the time bar). */
function summarize(state, prev, ts) {
  const conns = state.subsystems ? state.subsystems.connections : [];
  const byStatus = [0, 0, 0, 0, 0];
  let streams = 0;
  let cumIn = 0;
  let cumOut = 0;
  let instIn = 0;
  let instOut = 0;
  const peers = new Set();
  for (const c of conns) {
    if (c.status >= 0 && c.status < byStatus.length) byStatus[c.status]++;
    if (c.status === 0) {
      peers.add(c.peer_id);
      streams += streamCount(c);
    }
    const t = c.traffic;
    if (t) {
      if (t.traffic_in) { cumIn += t.traffic_in.cum_bytes; instIn += t.traffic_in.inst_bw; }
      if (t.traffic_out) { cumOut += t.traffic_out.cum_bytes; instOut += t.traffic_out.inst_bw; }
    }
  }
  const total = state.traffic;
  if (total && (total.traffic_in || total.traffic_out)) {
    const ti = total.traffic_in;
    const to = total.traffic_out;
    cumIn = ti ? ti.cum_bytes : 0;
    cumOut = to ? to.cum_bytes : 0;
    instIn = ti ? ti.inst_bw : 0;
    instOut = to ? to.inst_bw : 0;
  }
  let bwIn = instIn;
  let bwOut = instOut;
  // Hosts that only count bytes: the rate is the change since the last state.
  if (!bwIn && !bwOut && prev && ts > prev.ts) {
    bwIn = Math.max(0, cumIn - prev.cumIn) * 1000 / (ts - prev.ts);
    bwOut = Math.max(0, cumOut - prev.cumOut) * 1000 / (ts - prev.ts);
  }
  return { ts, byStatus, conns: conns.length, peers: peers.size, streams, cumIn, cumOut, bwIn, bwOut };
}
