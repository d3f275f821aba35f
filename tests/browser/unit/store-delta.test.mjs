// The store's door for delta states: deltas of a live session are rebuilt
// into the full states the host took (checked with protobufjs's own
// decoder), a delta that does not fit is dropped and a full state asked
// for, and recordings holding deltas are read in order.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import protobuf from 'protobufjs';
import { protoPath, vector, webModule } from '../lib/paths.mjs';
import { loadSchema } from '../lib/assets.mjs';

const { createCodec } = await webModule('codec.js');
const { Store } = await webModule('store.js');
const { parseRecording } = await webModule('wire.js');
const codec = createCodec(await loadSchema());

const oracleRoot = protobuf.parse(fs.readFileSync(protoPath, 'utf8'), { keepCase: true }).root;
const SM = oracleRoot.lookupType('peerscope.ServerMessage');

const hex = (b) => Buffer.from(b).toString('hex');
const item = (obj) => {
  const bytes = codec.encode('ServerMessage', obj);
  return { bytes, msg: codec.decode('ServerMessage', bytes) };
};

/**
 * A full state as the host sees it, independent of the page's codec:
 * protobufjs's decoder, lists whose order carries no meaning sorted by key.
 */
function canonical(bytes) {
  const m = SM.toObject(SM.decode(bytes), { longs: String, bytes: String, oneofs: true });
  const s = m.state;
  assert.ok(s, 'a state message');
  assert.equal(s.delta, undefined, 'a full state carries no delta');
  const subs = s.subsystems || {};
  if (subs.connections) subs.connections.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  if (subs.dht && subs.dht.buckets) subs.dht.buckets.sort((a, b) => (a.cpl || 0) - (b.cpl || 0));
  return m;
}

/**
 * The recording's messages, its states numbered from 1 (2020 hosts had no
 * State.seq). churn: connections and DHT buckets come and go from state to
 * state (the 2020 vectors never drop any), so deltas have removals to carry.
 */
function load(name, { churn = false } = {}) {
  const { messages } = parseRecording(fs.readFileSync(vector(name)));
  let seq = 0;
  return messages.map((bytes) => {
    const msg = codec.decode('ServerMessage', bytes);
    if (msg.payload !== 'state') return { bytes, msg };
    const s = msg.state;
    assert.ok(!s.subsystems.pubsub && !s.subsystems.peerstore && !s.subsystems.resource_manager && !s.subsystems.additional_dhts.length,
      'the builder below covers what the 2020 vectors hold');
    const state = { ...s, seq: ++seq };
    if (churn) {
      state.subsystems = { ...s.subsystems, connections: s.subsystems.connections.filter((c, i) => (i + seq) % 4 !== 0) };
      if (s.subsystems.dht) state.subsystems.dht = { ...s.subsystems.dht, buckets: s.subsystems.dht.buckets.filter((b) => b.cpl !== seq % 3) };
    }
    return item({ version: msg.version, payload: 'state', state });
  });
}

/**
 * What a server sends for `cur` to a client holding `prev`: only the
 * connections and DHT buckets that changed, and the keys that went away.
 * Written apart from web/src/js/delta.js so the two check each other.
 */
function deltaOf(prev, cur) {
  const enc = (type, x) => hex(codec.encode(type, x));
  const prevConns = new Map(prev.subsystems.connections.map((c) => [hex(c.id), enc('Connection', c)]));
  const curConns = new Set(cur.subsystems.connections.map((c) => hex(c.id)));
  const subsystems = {
    ...cur.subsystems,
    connections: cur.subsystems.connections.filter((c) => prevConns.get(hex(c.id)) !== enc('Connection', c)),
  };
  const delta = {
    base_seq: prev.seq,
    removed_connections: prev.subsystems.connections.filter((c) => !curConns.has(hex(c.id))).map((c) => c.id),
    removed_buckets: [],
  };
  const d = cur.subsystems.dht;
  if (d) {
    const prevBuckets = new Map((prev.subsystems.dht ? prev.subsystems.dht.buckets : []).map((b) => [b.cpl, enc('peerscope.DHT.Bucket', b)]));
    const curCpls = new Set(d.buckets.map((b) => b.cpl));
    subsystems.dht = { ...d, buckets: d.buckets.filter((b) => prevBuckets.get(b.cpl) !== enc('peerscope.DHT.Bucket', b)) };
    const gone = [...prevBuckets.keys()].filter((cpl) => !curCpls.has(cpl));
    if (gone.length) delta.removed_buckets.push({ dht: 0, cpls: gone });
  }
  return { ...cur, subsystems, delta };
}

/** The recording as a delta session gets it: every fullEvery-th state full, the rest deltas. */
function asDeltaSession(items, fullEvery) {
  let prev = null;
  let n = 0;
  return items.map((it) => {
    if (it.msg.payload !== 'state') return it;
    const cur = it.msg.state;
    const full = n++ % fullEvery === 0; // the first one too: there is no base yet
    const out = full ? it : item({ version: it.msg.version, payload: 'state', state: deltaOf(prev, cur) });
    prev = cur;
    return out;
  });
}

function liveStore() {
  const store = new Store(codec);
  store.setConfig({ retention_period_ms: 1e9, state_snapshot_interval_ms: 1000 }); // keep everything
  const resyncs = [];
  store.onResync = (r) => resyncs.push(r);
  return { store, resyncs };
}

test('live deltas are rebuilt into the full states the host took; the export holds full states', () => {
  const items = load('sample-dht-2min.mock', { churn: true });
  const wire = asDeltaSession(items, 10);
  const originals = items.filter((x) => x.msg.payload === 'state');
  const deltas = wire.filter((x) => x.msg.payload === 'state' && x.msg.state.delta);
  assert.equal(deltas.length, originals.length - Math.ceil(originals.length / 10));
  // The test is only worth something if the deltas really leave things out.
  const sent = deltas.reduce((a, x) => a + x.bytes.length, 0);
  const whole = originals.filter((x, i) => i % 10).reduce((a, x) => a + x.bytes.length, 0);
  assert.ok(sent < whole, `deltas ${sent} bytes vs full ${whole}`);
  const omitting = deltas.filter((x) => {
    const i = originals.findIndex((o) => o.msg.state.seq === x.msg.state.seq);
    return x.msg.state.subsystems.connections.length < originals[i].msg.state.subsystems.connections.length;
  });
  assert.ok(omitting.length > deltas.length / 2, 'most deltas leave unchanged connections out');
  assert.ok(deltas.some((x) => x.msg.state.delta.removed_connections.length), 'some delta removes connections');
  assert.ok(deltas.some((x) => x.msg.state.delta.removed_buckets.length), 'some delta removes DHT buckets');

  const { store, resyncs } = liveStore();
  for (const { bytes, msg } of wire) store.ingest(bytes, msg);
  assert.deepEqual(resyncs, []);
  assert.deepEqual(store.stats, { fullStates: originals.length - deltas.length, deltasApplied: deltas.length, deltasDropped: 0, resyncs: 0 });
  assert.equal(store.states.length, originals.length);
  store.states.forEach((e, i) => {
    assert.deepEqual(canonical(e.bytes), canonical(originals[i].bytes), `held state ${i + 1}`);
    assert.equal(e.seq, i + 1);
  });
  // The views see the full state too.
  const cur = store.current();
  assert.equal(cur.state.delta, null);
  assert.equal(cur.view.conns.length, originals.at(-1).msg.state.subsystems.connections.length);
  assert.equal(store.states.at(-1).summary.conns, originals.at(-1).msg.state.subsystems.connections.length);
  // Export: a 2020 recording of full states, in arrival order.
  const out = parseRecording(store.exportRecording()).messages;
  const kept = items.filter((x) => x.msg.payload !== 'response');
  assert.equal(out.length, kept.length);
  out.forEach((bytes, i) => {
    if (kept[i].msg.payload === 'state') assert.deepEqual(canonical(bytes), canonical(kept[i].bytes), `exported record ${i}`);
    else assert.equal(hex(bytes), hex(kept[i].bytes), `exported record ${i}`);
  });
});

test('a delta that misses its base is dropped, and one full state is asked for', () => {
  const states = load('sample-1min.mock').filter((x) => x.msg.payload === 'state').map((x) => x.msg.state);
  const full = (s) => item({ payload: 'state', state: s });
  const delta = (base, s) => item({ payload: 'state', state: deltaOf(base, s) });
  const { store, resyncs } = liveStore();
  const ingest = ({ bytes, msg }) => store.ingest(bytes, msg);

  ingest(full(states[0]));
  ingest(delta(states[0], states[1]));
  assert.equal(store.states.length, 2);
  assert.deepEqual(resyncs, []);

  // states[2] never arrived: the delta for states[3] is based on it.
  ingest(delta(states[2], states[3]));
  assert.equal(store.states.length, 2, 'the delta is dropped');
  assert.equal(resyncs.length, 1);
  assert.equal(resyncs[0].error.mismatch, true);
  assert.equal(resyncs[0].repeated, false);
  // Until the answer arrives, the next ones miss their base as well: no more requests.
  ingest(delta(states[3], states[4]));
  assert.equal(resyncs.length, 1);
  assert.equal(store.states.length, 2);

  // The answer (a full state), then deltas apply again.
  ingest(full(states[5]));
  ingest(delta(states[5], states[6]));
  assert.equal(store.states.length, 4);
  assert.deepEqual(canonical(store.states[3].bytes), canonical(full(states[6]).bytes));
  assert.deepEqual(store.stats, { fullStates: 2, deltasApplied: 2, deltasDropped: 2, resyncs: 1 });

  // A reconnect: the new session's deltas never apply to the old session's state.
  store.newSession();
  ingest(delta(states[6], states[7]));
  assert.equal(resyncs.length, 2);
  assert.equal(store.states.length, 4);
});

test('a request that goes unanswered is sent again; repeated resyncs are reported once', () => {
  const states = load('sample-1min.mock').filter((x) => x.msg.payload === 'state').map((x) => x.msg.state);
  const { store, resyncs } = liveStore();
  const ingest = ({ bytes, msg }) => store.ingest(bytes, msg);
  const stray = (i) => item({ payload: 'state', state: deltaOf({ ...states[i], seq: 1000 + i }, states[i + 1]) });
  ingest(item({ payload: 'state', state: states[0] }));
  for (let i = 1; i <= 11; i++) ingest(stray(i));
  assert.equal(resyncs.length, 2, 'asked again after ten more drops without an answer');
  assert.deepEqual(resyncs.map((r) => r.repeated), [false, false]);
  ingest(item({ payload: 'state', state: states[13] }));
  ingest(stray(14));
  ingest(item({ payload: 'state', state: states[15] }));
  ingest(stray(16));
  assert.deepEqual(resyncs.map((r) => r.repeated), [false, false, true, false], 'told once');
  assert.equal(store.stats.resyncs, 4);
});

test('a recording holding deltas is read in order; one that does not fit counts as corrupted', () => {
  const items = load('sample-1min.mock');
  const wire = asDeltaSession(items, 1000);
  const stateAt = wire.findIndex((x, i) => i > 0 && x.msg.payload === 'state' && x.msg.state.delta);
  // One delta in the middle loses its base: it and those after it until the end
  // cannot be rebuilt (the recording has no later full state).
  const broken = wire.slice();
  const lastStates = broken.map((x, i) => (x.msg.payload === 'state' ? i : -1)).filter((i) => i >= 0);
  const cut = lastStates[lastStates.length - 3];
  broken.splice(cut, 1);

  const { store, resyncs } = liveStore();
  store.loadRecording('deltas.mock', wire, 0);
  const originals = items.filter((x) => x.msg.payload === 'state');
  assert.ok(stateAt > 0);
  assert.equal(store.states.length, originals.length);
  assert.equal(store.corrupt, 0);
  assert.deepEqual(canonical(store.states.at(-1).bytes), canonical(originals.at(-1).bytes));

  store.loadRecording('broken.mock', broken, 0);
  assert.equal(store.states.length, originals.length - 3);
  assert.equal(store.corrupt, 2, 'the two deltas after the lost one');
  assert.deepEqual(resyncs, [], 'nobody to ask in a file');
  assert.deepEqual(canonical(store.states.at(-1).bytes), canonical(originals.at(-4).bytes));
});
