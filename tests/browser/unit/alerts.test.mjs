// What the visualizer reads of alerts and durations (web/src/js/alerts.js),
// from messages encoded by the page's codec and checked against what
// protobufjs (an independent decoder) reads of the same bytes.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import protobuf from 'protobufjs';
import { protoPath, vector, webModule } from '../lib/paths.mjs';
import { loadSchema } from '../lib/assets.mjs';

const { createCodec } = await webModule('codec.js');
const { Store } = await webModule('store.js');
const { parseRecording } = await webModule('wire.js');
const { applyDelta } = await webModule('delta.js');
const A = await webModule('alerts.js');
const codec = createCodec(await loadSchema());

const oracleRoot = protobuf.parse(fs.readFileSync(protoPath, 'utf8'), { keepCase: true }).root;
const SM = oracleRoot.lookupType('peerscope.ServerMessage');

const T0 = 1700000000000;
const alert = (rule, severity, subject, subjectKind, sinceTs, extra = {}) => ({
  rule, kind: `${rule}_kind`, severity, subject, subject_kind: subjectKind, value: 2.5, threshold: 4, since_ts: sinceTs, firing_ts: sinceTs + 1000, message: `${rule} on ${subject}`, ...extra,
});

function roundTrip(msg) {
  const bytes = codec.encode('ServerMessage', msg);
  return { bytes, msg: codec.decode('ServerMessage', bytes) };
}

test('the alerts of a state, the worst first, counted by severity', () => {
  const { bytes, msg } = roundTrip({
    version: { version: 1 },
    payload: 'state',
    state: {
      instant_ts: T0,
      alerts: [
        alert('mesh-low', 1, 'blocks', 'topic', T0 - 5000),
        alert('scope-full', 0, 'system', 'scope', T0 - 9000, { value: 0.95, threshold: 0.9 }),
        alert('expected-peer', 2, '12D3KooWA', 'peer', T0 - 3000),
        alert('mesh-low', 1, 'chat', 'topic', T0 - 7000),
      ],
    },
  });
  const got = A.activeAlerts(msg.state);
  assert.deepEqual(got.map((a) => `${a.severity} ${a.rule} ${a.subject}`),
    ['critical expected-peer 12D3KooWA', 'warning mesh-low chat', 'warning mesh-low blocks', 'info scope-full system']);
  // Every field as protobufjs reads the same bytes.
  const oracle = SM.toObject(SM.decode(bytes), { longs: Number, enums: Number, defaults: true }).state.alerts;
  const info = got[3];
  const o = oracle.find((x) => x.rule === 'scope-full');
  assert.deepEqual([info.kind, info.subjectKind, info.value, info.threshold, info.sinceTs, info.firingTs, info.message],
    [o.kind, o.subject_kind, o.value, o.threshold, o.since_ts, o.firing_ts, o.message]);
  assert.deepEqual(A.countBySeverity(got), { total: 4, info: 1, warning: 2, critical: 1 });
});

test('a 2020 recording has no alerts and no milestones', () => {
  const { messages } = parseRecording(fs.readFileSync(vector('sample-dht-2min.mock')));
  let states = 0;
  for (const bytes of messages) {
    const m = codec.decode('ServerMessage', bytes);
    if (m.payload === 'state') {
      states++;
      assert.deepEqual(A.activeAlerts(m.state), []);
      assert.deepEqual(A.milestonesOf(m.state, null), []);
    } else if (m.payload === 'runtime') {
      assert.deepEqual(A.milestonesOf(null, m.runtime), []);
    }
  }
  assert.ok(states > 10);
  assert.deepEqual(A.activeAlerts(null), []);
  assert.deepEqual(A.countBySeverity([]), { total: 0, info: 0, warning: 0, critical: 0 });
});

test('milestones: the state\'s, else the runtime\'s, in the order reached', () => {
  const ms = (name, at, from = '') => ({ name, reached_ts: T0 + at, duration_ms: at, from });
  const runtime = roundTrip({ payload: 'runtime', runtime: { peer_id: 'x', milestones: [ms('identity', 10)] } }).msg.runtime;
  const state = roundTrip({ payload: 'state', state: { instant_ts: T0 + 9000, milestones: [ms('first_peer', 800), ms('identity', 10), ms('sync_completed', 8000, 'sync_started')] } }).msg.state;
  const empty = roundTrip({ payload: 'state', state: { instant_ts: T0 } }).msg.state;
  assert.deepEqual(A.milestonesOf(state, runtime).map((m) => m.name), ['identity', 'first_peer', 'sync_completed']);
  assert.deepEqual(A.milestonesOf(empty, runtime), [{ name: 'identity', reachedTs: T0 + 10, durationMs: 10, from: '' }]);
  const sync = A.milestonesOf(state, runtime)[2];
  assert.equal(sync.from, 'sync_started');
  assert.equal(sync.durationMs, 8000);
  assert.equal(A.milestoneLabel('first_peer'), 'first peer connected');
  assert.equal(A.milestoneLabel('peers_25'), '25 peers connected');
  assert.equal(A.milestoneLabel('block_import_done'), 'block import done');
});

test('a delta state carries its own alerts (every field but subsystems is the delta\'s)', () => {
  const base = roundTrip({ payload: 'state', state: { seq: 4, instant_ts: T0, alerts: [alert('a', 1, 's', 'topic', T0)], subsystems: { connections: [] } } }).msg.state;
  const with1 = roundTrip({ payload: 'state', state: { seq: 5, instant_ts: T0 + 1000, delta: { base_seq: 4 }, alerts: [alert('b', 2, 'p', 'peer', T0)], subsystems: {} } }).msg.state;
  const none = roundTrip({ payload: 'state', state: { seq: 5, instant_ts: T0 + 1000, delta: { base_seq: 4 }, subsystems: {} } }).msg.state;
  assert.deepEqual(A.activeAlerts(applyDelta(base, with1)).map((a) => a.rule), ['b']);
  assert.deepEqual(A.activeAlerts(applyDelta(base, none)), [], 'resolved: the delta lists none');
});

test('the alert history: AlertFiring / AlertResolved up to the shown time, newest first', () => {
  const store = new Store(codec);
  store.reset({ kind: 'file', name: 'x' });
  const ev = (ts, type, content) => {
    const { bytes, msg } = roundTrip({ payload: 'event', event: { ts, type: { name: type }, content: JSON.stringify(content) } });
    store.ingest(bytes, msg);
  };
  ev(T0, 'AlertFiring', { rule: 'r1', severity: 'CRITICAL', subject: 'p1', value: 3, threshold: 8, since: T0 - 100 });
  ev(T0 + 10, 'PeerConnected', { peerId: 'p1' });
  ev(T0 + 20, 'AlertResolved', { rule: 'r1', severity: 'CRITICAL', subject: 'p1', value: 9, threshold: 8, since: T0 - 100 });
  ev(T0 + 30, 'AlertFiring', { rule: 'r2', severity: 'bogus', subject: 'q' });
  const all = A.alertHistory(store.events, (e) => store.eventContent(e), T0 + 30);
  assert.deepEqual(all.map((e) => `${e.firing ? 'F' : 'R'} ${e.rule} ${e.severity}`), ['F r2 info', 'R r1 critical', 'F r1 critical']);
  assert.equal(all[1].value, 9);
  assert.equal(all[1].since, T0 - 100);
  assert.ok(Number.isNaN(all[0].value), 'a value the event leaves out reads as none');
  assert.deepEqual(A.alertHistory(store.events, (e) => store.eventContent(e), T0 + 25).map((e) => e.rule), ['r1', 'r1'], 'up to the shown time');
  assert.equal(A.alertHistory(store.events, (e) => store.eventContent(e), T0 + 30, 1).length, 1, 'at most max');
});

test('subjects: the view that shows them, buckets by their cpl, numbers for the table', () => {
  assert.deepEqual(['peer', 'topic', 'bucket', 'scope', 'protocol', 'node', 'x'].map(A.subjectView),
    ['connections', 'pubsub', 'dht', 'resources', 'streams', '', '']);
  assert.equal(A.bucketCpl('3'), 3);
  assert.equal(A.bucketCpl('cpl 12'), 12);
  assert.equal(A.bucketCpl('dht/bucket/0'), 0);
  assert.ok(Number.isNaN(A.bucketCpl('none')));
  assert.deepEqual([A.alertNumber(3), A.alertNumber(912.5), A.alertNumber(0.90625), A.alertNumber(NaN)], ['3', '912.5', '0.9063', '–']);
  assert.deepEqual([0, 1, 2, 7, 'WARNING', 'critical', ''].map(A.severityName), ['info', 'warning', 'critical', 'info', 'warning', 'critical', 'info']);
});
