// What the page holds of one session (live, or a recording file): the
// runtime, the states within the retention period (kept serialized and
// decoded on demand, so scrubbing back costs memory only for bytes), the
// events, and the cursor that says which state the views show.
//
// Delta states (a live session asks for them) are turned back into full
// states here, at the door: every held state, view, rate and export works
// on full states, and an exported file stays a valid 2020 recording.
//
// A live session holds what it receives in arrival order, as it comes. A
// recording file, and an endpoint that replays one (Runtime.recording), are
// held in time order (timeorder.js): answers to seeks (addAnswer) land
// anywhere in time, a loop restart makes the pushed time jump back, and
// "following" then means following the replay's position (the last state
// pushed), not the newest time held.

import { buildRecording } from './wire.js';
import { deriveState, streamCount } from './derive.js';
import { applyDelta, isDelta, DeltaError } from './delta.js';
import { insertInOrder, indexOfEntry, atOrBefore } from './timeorder.js';

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
    this.replay = null;          // Runtime.recording of a replaying endpoint
    this.lastPushed = null;      // replay: the state pushed last (the replay's position)
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
    // A replay's: loop restarts seen, seek answers taken.
    this.replayStats = { loops: 0, seekAnswers: 0 };
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
    // A replay's new session may start anywhere: what it pushes first says nothing of the last one.
    this.lastPushed = null;
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
    this.replay = this.source.kind === 'live' && rt.recording ? rt.recording : null;
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
    // A replay lost a state here: what was pushed before does not reach up to the next one.
    this.lastPushed = null;
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

  /** True when states and events are held in time order rather than as they arrive. */
  ordered() {
    return this.source.kind === 'file' || !!this.replay;
  }

  /** rebuilt: the state came as a delta (told apart for diagnostics only). */
  addState(bytes, state, rebuilt = false) {
    const ts = state.instant_ts || Date.now();
    // until: the latest time this state is known to be the state of (see heldAt).
    let entry = { n: this.counter++, ts, seq: state.seq, bytes, summary: null, rebuilt, until: ts };
    if (this.ordered()) {
      entry = this.place(entry, state);
      if (this.replay) this.pushed(entry);
    } else {
      const prev = this.states[this.states.length - 1];
      entry.summary = summarize(state, prev ? prev.summary : null, ts);
      this.states.push(entry);
      this.remember(entry, state);
    }
    this.trim();
    this.emit({ state: entry });
  }

  /** Insert a state entry in time order; returns the entry held (an equal one may be held already). */
  place(entry, state) {
    // A file keeps every record it has; a replay sees the same state again
    // (a seek answer that is pushed later, a loop's next pass).
    const placed = insertInOrder(this.states, entry, this.replay ? sameState : null);
    if (!placed.inserted) return placed.entry;
    const prev = placed.index > 0 ? this.states[placed.index - 1] : null;
    entry.summary = summarize(state, prev ? prev.summary : null, entry.ts);
    if (this.cursor >= 0 && placed.index <= this.cursor) this.cursor++;
    this.remember(entry, state);
    return entry;
  }

  /**
   * A replay pushed entry: what came before it in the same pass is the
   * state of every time up to it. Time going back is the loop starting
   * again, so the state pushed before was the recording's last one.
   */
  pushed(entry) {
    const last = this.lastPushed;
    if (last && last !== entry) {
      // A gap in State.seq is a state that did not reach the page: the time
      // before this one is not known to be the earlier state's. (2020
      // recordings have no seq: 0.)
      const next = !(entry.seq && last.seq) || entry.seq === last.seq + 1;
      if (entry.ts > last.ts) {
        if (next) last.until = Math.max(last.until, entry.ts - 1);
      } else if (entry.ts < last.ts) {
        last.until = Math.max(last.until, this.replay.end_ts || last.ts);
        this.replayStats.loops++;
      }
    }
    this.lastPushed = entry;
  }

  /**
   * A replaying endpoint's answer to REQUEST STATE at_ts = at: the full
   * state as it was then. Held in time order like a pushed one (it is not
   * the base of the pushed deltas). Returns its index in states.
   */
  addAnswer(at, state) {
    const bytes = this.codec.encode('ServerMessage', { version: { version: 1 }, payload: 'state', state });
    const ts = state.instant_ts || at;
    let entry = { n: this.counter++, ts, seq: state.seq, bytes, summary: null, rebuilt: false, until: ts };
    entry = this.place(entry, state);
    if (at >= entry.ts) entry.until = Math.max(entry.until, at);
    this.replayStats.seekAnswers++;
    this.trim();
    const index = indexOfEntry(this.states, entry);
    this.emit({ state: entry, answer: true });
    return index;
  }

  /**
   * Index of the held state that is the state at time ts, or -1 when what
   * is held does not say (a seek has to ask the endpoint).
   */
  heldAt(ts) {
    const i = atOrBefore(this.states, ts);
    if (i < 0) return -1;
    const e = this.states[i];
    return e.ts === ts || ts <= e.until ? i : -1;
  }

  addEvent(bytes, ev) {
    const type = ev.type ? ev.type.name : '';
    if (ev.type) this.learnType(ev.type);
    if (ev.seq && this.lastEventSeq && ev.seq > this.lastEventSeq + 1) {
      this.droppedEvents += ev.seq - this.lastEventSeq - 1;
    }
    if (ev.seq > this.lastEventSeq) this.lastEventSeq = ev.seq;
    const entry = { n: this.counter++, ts: ev.ts || Date.now(), seq: ev.seq, type, content: ev.content, bytes, parsed: undefined };
    if (!this.ordered()) {
      this.events.push(entry);
    } else if (!insertInOrder(this.events, entry, this.replay ? sameEvent : null).inserted) {
      return; // a replay's next pass: held already
    }
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
    if (this.replay) { this.trimReplay(); return; }
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

  /**
   * A replay has no retention period (its times are the recording's, and
   * any of them can be asked for again): only the counts are bounded, by
   * dropping the states farthest from the shown one, and the oldest events.
   */
  trimReplay() {
    while (this.states.length > MAX_STATES) {
      const shown = this.cursorIndex();
      const i = shown >= this.states.length / 2 ? 0 : this.states.length - 1;
      const [gone] = this.states.splice(i, 1);
      this.cache.delete(gone);
      if (gone === this.lastPushed) this.lastPushed = null;
      if (this.cursor >= 0 && i < this.cursor) this.cursor--;
      else if (this.cursor >= this.states.length) this.cursor = this.states.length - 1;
    }
    while (this.events.length > MAX_EVENTS) {
      const [gone] = this.events.splice(0, 1);
      this.eventCounts.set(gone.type, this.eventCounts.get(gone.type) - 1);
    }
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
    if (this.cursor >= 0) return Math.min(this.cursor, this.states.length - 1);
    if (this.replay && this.lastPushed) {
      const i = indexOfEntry(this.states, this.lastPushed);
      if (i >= 0) return i;
    }
    return this.states.length - 1;
  }

  following() {
    return this.cursor < 0;
  }

  /** Show state i (or follow the newest with i < 0 or past the end). */
  seek(i) {
    const last = this.states.length - 1;
    // A replay's position need not be its newest time held: only -1 follows it.
    const follow = i < 0 || (i >= last && !this.replay);
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
    // A replay arrived out of time order: its export is in time order (by arrival within a time).
    const order = this.replay ? (a, b) => a.ts - b.ts || a.n - b.n : (a, b) => a.n - b.n;
    const all = [...this.states, ...this.events, ...this.notices].sort(order);
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

// One record received twice by a replay: same time and sequence number.
function sameState(a, b) {
  return a.ts === b.ts && a.seq === b.seq;
}

function sameEvent(a, b) {
  return a.ts === b.ts && a.seq === b.seq && a.type === b.type && a.content === b.content;
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
