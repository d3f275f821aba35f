// Alerts and durations (milestones) as the views show them, from decoded
// messages: State.alerts (the alerts firing at the state's time),
// State.milestones / Runtime.milestones (durations reached so far) and the
// AlertFiring / AlertResolved events. No DOM here: the page and the unit
// tests share it.
//
// A 2020 endpoint sends none of these fields; every function then returns
// empty results, and nothing about alerts is shown.

const SEVERITIES = ['info', 'warning', 'critical'];
export const ALERT_EVENTS = new Set(['AlertFiring', 'AlertResolved']);

/** A severity (Alert.Severity number, or its name from an event's content) as 'info' | 'warning' | 'critical'. */
export function severityName(s) {
  if (typeof s === 'number') return SEVERITIES[s] || 'info';
  const t = String(s || '').toLowerCase();
  return SEVERITIES.includes(t) ? t : 'info';
}

/** Higher is worse: for sorting. */
export function severityRank(name) {
  return Math.max(0, SEVERITIES.indexOf(name));
}

const list = (v) => (Array.isArray(v) ? v : []);

/** The alerts firing in a decoded State, as flat records, the worst first. */
export function activeAlerts(state) {
  const out = list(state && state.alerts).map((a) => ({
    rule: a.rule || '',
    kind: a.kind || '',
    severity: severityName(a.severity),
    subject: a.subject || '',
    subjectKind: a.subject_kind || '',
    value: Number(a.value) || 0,
    threshold: Number(a.threshold) || 0,
    sinceTs: Number(a.since_ts) || 0,
    firingTs: Number(a.firing_ts) || 0,
    message: a.message || '',
  }));
  out.sort((x, y) => severityRank(y.severity) - severityRank(x.severity)
    || (x.sinceTs - y.sinceTs) || (x.rule < y.rule ? -1 : x.rule > y.rule ? 1 : 0)
    || (x.subject < y.subject ? -1 : x.subject > y.subject ? 1 : 0));
  return out;
}

/** {total, info, warning, critical} of activeAlerts' records. */
export function countBySeverity(alerts) {
  const c = { total: alerts.length, info: 0, warning: 0, critical: 0 };
  for (const a of alerts) c[a.severity]++;
  return c;
}

/**
 * The AlertFiring / AlertResolved events held by the store up to time
 * upTo (the shown state's), newest first, at most max. content(e) parses
 * an event's JSON content (store.eventContent). Properties the host left
 * out read as empty.
 */
export function alertHistory(events, content, upTo, max = 200) {
  const out = [];
  for (let i = events.length - 1; i >= 0 && out.length < max; i--) {
    const e = events[i];
    if (!ALERT_EVENTS.has(e.type) || e.ts > upTo) continue;
    const c = content(e) || {};
    out.push({
      ts: e.ts,
      firing: e.type === 'AlertFiring',
      rule: c.rule != null ? String(c.rule) : '',
      severity: severityName(c.severity),
      subject: c.subject != null ? String(c.subject) : '',
      value: c.value != null && c.value !== '' ? Number(c.value) : NaN,
      threshold: c.threshold != null && c.threshold !== '' ? Number(c.threshold) : NaN,
      since: Number(c.since) || 0,
    });
  }
  return out;
}

/**
 * The durations reached so far: the state's (it is the newer), else the
 * runtime's; in the order reached.
 */
export function milestonesOf(state, runtime) {
  let ms = list(state && state.milestones);
  if (!ms.length) ms = list(runtime && runtime.milestones);
  return ms.map((m) => ({
    name: m.name || '',
    reachedTs: Number(m.reached_ts) || 0,
    durationMs: Number(m.duration_ms) || 0,
    from: m.from || '',
  })).sort((a, b) => a.reachedTs - b.reachedTs || (a.name < b.name ? -1 : 1));
}

const MILESTONE_LABELS = {
  identity: 'identity known',
  first_listen: 'first listen address',
  first_peer: 'first peer connected',
  sync_started: 'sync started',
  sync_completed: 'sync completed',
};

/** A milestone's name in words: "first_peer" -> "first peer connected", "peers_8" -> "8 peers connected". */
export function milestoneLabel(name) {
  if (MILESTONE_LABELS[name]) return MILESTONE_LABELS[name];
  const m = /^peers_(\d+)$/.exec(name);
  if (m) return `${m[1]} peers connected`;
  return name.replace(/_/g, ' ');
}

// subject_kind -> the view where such a subject lives.
const SUBJECT_VIEWS = {
  peer: 'connections',
  topic: 'pubsub',
  bucket: 'dht',
  scope: 'resources',
  protocol: 'streams',
};

/** The view id that shows a subject of this kind, or '' ("node", unknown kinds). */
export function subjectView(kind) {
  return SUBJECT_VIEWS[kind] || '';
}

/** The bucket (common prefix length) a bucket subject names: "3", "cpl 3", "bucket/3"; NaN when none. */
export function bucketCpl(subject) {
  const m = /(\d+)\s*$/.exec(String(subject));
  return m ? Number(m[1]) : NaN;
}

/** A value or threshold for a table: integers as they are, others to 4 significant digits. */
export function alertNumber(v) {
  if (!Number.isFinite(v)) return '–';
  if (Number.isInteger(v)) return String(v);
  return String(Number(v.toPrecision(4)));
}
