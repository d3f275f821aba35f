// Alerts and milestones for the mock endpoint's states, as a peerscope
// host with analyzers sends them (State.alerts, State.milestones, typed
// AlertFiring / AlertResolved events). The subjects are taken from the
// state being sent, so each one exists where the visualizer looks for it:
// a connected peer, a topic, a DHT bucket, a resource scope, a protocol.
//
// Deterministic: the same state gets the same alerts.

const ALERT_PROPS = [
  { name: 'rule', type: 0 }, { name: 'severity', type: 0 }, { name: 'subject', type: 0 },
  { name: 'value', type: 1 }, { name: 'threshold', type: 1 }, { name: 'since', type: 10 },
];
export const ALERT_EVENT_TYPES = [
  { name: 'AlertFiring', property_types: ALERT_PROPS },
  { name: 'AlertResolved', property_types: ALERT_PROPS },
];

const INFO = 0;
const WARNING = 1;
const CRITICAL = 2;

// [name, ms after start, from]
export const MILESTONES = [
  ['identity', 12, ''],
  ['first_listen', 41, ''],
  ['first_peer', 850, ''],
  ['peers_8', 2430, ''],
  ['sync_started', 3010, ''],
  ['sync_completed', 11490, 'sync_started'],
];

/** The alerts a state gets: one per subject kind, [{...Alert}] with the proto's field names. */
export function alertsFor(state) {
  const sub = state.subsystems || {};
  const now = state.instant_ts;
  const out = [];
  const add = (rule, kind, severity, subjectKind, subject, value, threshold, forMs, message) => {
    if (!subject) return;
    const since = now - 5000 - forMs - out.length * 7000;
    out.push({ rule, kind, severity, subject, subject_kind: subjectKind, value, threshold, since_ts: since, firing_ts: since + forMs, message });
  };
  // The longest-open active connection: its peer stays while the alert is looked at.
  const active = (sub.connections || []).filter((c) => c.status === 0 && c.timeline);
  active.sort((a, b) => a.timeline.open_ts - b.timeline.open_ts || (a.peer_id < b.peer_id ? -1 : 1));
  const peer = active.length ? active[0].peer_id : '';
  add('slow-peer', 'peer_latency', CRITICAL, 'peer', peer, 912.5, 500, 10000, `peer ${peer.slice(0, 12)}… answers in 912 ms (limit 500 ms)`);
  const topics = sub.pubsub ? sub.pubsub.topics.filter((t) => t.subscribed) : [];
  const topic = topics.length ? topics[topics.length - 1].name : '';
  add('mesh-low', 'mesh_low', WARNING, 'topic', topic, 2, 4, 30000, `mesh of ${topic} has 2 peers (D_low 4)`);
  const buckets = sub.dht ? sub.dht.buckets.slice().sort((a, b) => a.cpl - b.cpl) : [];
  const bucket = buckets.length ? String(buckets[0].cpl) : '';
  add('dht-bucket-fill', 'dht_bucket_low', WARNING, 'bucket', bucket, 3, 10, 60000, `bucket ${bucket} holds 3 peers (want 10)`);
  // The named scope nearest its inbound stream limit.
  const fill = (s) => (s.limit && s.limit.streams_in ? (s.usage ? s.usage.streams_in : 0) / s.limit.streams_in : 0);
  const scopes = sub.resource_manager ? sub.resource_manager.scopes.filter((s) => s.name) : [];
  scopes.sort((a, b) => fill(b) - fill(a) || (a.name < b.name ? -1 : 1));
  const scope = scopes.length ? scopes[0].name : '';
  const f = scopes.length ? Math.round(fill(scopes[0]) * 1000) / 1000 : 0;
  add('scope-near-limit', 'resource_scope', INFO, 'scope', scope, f, 0.8, 5000, `scope ${scope} uses ${(f * 100).toFixed(1)}% of its inbound stream limit`);
  const protocols = new Map();
  for (const c of active) for (const s of c.streams ? c.streams.streams : []) protocols.set(s.protocol, (protocols.get(s.protocol) || 0) + 1);
  const proto = [...protocols.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).map((e) => e[0])[0] || '';
  add('stream-leak', 'stream_leak', WARNING, 'protocol', proto, 118, 100, 20000, `${proto}: streams grew for 12 snapshots`);
  return out;
}

export function milestonesFor(start) {
  return MILESTONES.map(([name, at, from]) => {
    const base = from ? start + MILESTONES.find((m) => m[0] === from)[1] : start;
    return { name, reached_ts: start + at, duration_ms: start + at - base, from };
  });
}

function event(type, a, ts) {
  const content = { rule: a.rule, severity: ['INFO', 'WARNING', 'CRITICAL'][a.severity], subject: a.subject, value: a.value, threshold: a.threshold, since: a.since_ts };
  return { ts, type: { name: type, property_types: ALERT_PROPS }, content: JSON.stringify(content) };
}

/**
 * Decorates what the mock sends. opts: {milestones: true}. step(session,
 * state) returns {state, events}: the state with alerts (and milestones),
 * and, the first time a session is stepped, the AlertFiring events of its
 * alerts plus one alert that fired and resolved. The events carry no seq
 * (0): they do not take part in the feed's numbering.
 */
export class AlertsFeed {
  constructor(opts = {}) {
    this.milestones = opts.milestones !== false;
  }

  step(session, state) {
    const alerts = alertsFor(state);
    const out = { ...state, alerts };
    // As if the node started a minute before the first state: every
    // milestone is in the past, and stays where it is.
    if (this.start === undefined) this.start = state.instant_ts - 60000;
    if (this.milestones) out.milestones = milestonesFor(this.start);
    const events = [];
    if (!session.alertEventsSent) {
      session.alertEventsSent = true;
      const t = state.instant_ts;
      const gone = { rule: 'too-few-peers', severity: WARNING, subject: 'node', value: 3, threshold: 8, since_ts: t - 40000 };
      events.push(event('AlertFiring', gone, t - 30000), event('AlertResolved', gone, t - 20000));
      for (const a of alerts) events.push(event('AlertFiring', a, a.firing_ts));
      events.sort((x, y) => x.ts - y.ts);
    }
    return { state: out, events };
  }
}
