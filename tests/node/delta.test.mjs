#!/usr/bin/env node
// Unit test of web/src/js/delta.js (applyDelta): hand-made cases of every
// rule of StateDelta, purity, errors; and, given the path of the
// delta-vectors program (tests/integration/delta_vectors.c), the deltas the
// C library makes for a host whose every section moves, applied one after
// the other from the first full state and compared with the full states of
// the same snapshots, decoded both by the visualizer's codec and by
// protobufjs itself.
//
// Usage: node delta.test.mjs [DELTA_VECTORS_PROGRAM]
// Exits 1 if any check fails.

import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

import { createCodec } from '../../web/src/js/codec.js';
import { schemaFromProtobufjs } from '../browser/lib/pbjs-schema.mjs';
import { DeltaError, applyDelta, isDelta } from '../../web/src/js/delta.js';

const here = dirname(fileURLToPath(import.meta.url));
const protoText = readFileSync(resolve(here, '..', '..', 'proto', 'peerscope.proto'), 'utf8');
const codec = createCodec(schemaFromProtobufjs(protobuf, protoText));

const tests = [];
const test = (name, fn) => tests.push([name, fn]);

// ------------------------------------------------------------------ helpers

const bytes = (...b) => Uint8Array.from(b);

function deepFreeze(o) {
  if (o && typeof o === 'object' && !ArrayBuffer.isView(o) && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o)) deepFreeze(v);
  }
  return o;
}

const hex = (b) => Array.from(b || [], (x) => x.toString(16).padStart(2, '0')).join('');
const by = (key) => (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);

// The keyed lists sorted (a delta does not keep their order), as new objects.
function canonical(state) {
  const s = { ...state, delta: null };
  const sub = state.subsystems;
  if (!sub) return s;
  const out = { ...sub };
  const sortDht = (d) => d && { ...d, buckets: [...(d.buckets || [])].sort(by((x) => x.cpl || 0)) };
  out.connections = [...(sub.connections || [])].sort(by((c) => hex(c.id)));
  out.dht = sortDht(sub.dht);
  out.additional_dhts = (sub.additional_dhts || []).map(sortDht);
  if (sub.pubsub) out.pubsub = { ...sub.pubsub, topics: [...(sub.pubsub.topics || [])].sort(by((t) => t.name)) };
  if (sub.peerstore) out.peerstore = { ...sub.peerstore, peers: [...(sub.peerstore.peers || [])].sort(by((p) => p.peer_id)) };
  if (sub.resource_manager) {
    out.resource_manager = {
      ...sub.resource_manager,
      scopes: [...(sub.resource_manager.scopes || [])].sort(by((x) => `${x.kind || 0}\u0000${x.name || ''}`)),
    };
  }
  s.subsystems = out;
  return s;
}

// Spread copies own properties only; what it leaves behind are the codec's
// prototype defaults, which encode to nothing anyway.
function sameState(got, want, what) {
  const a = codec.encode('State', canonical(got));
  const b = codec.encode('State', canonical(want));
  assert.ok(Buffer.from(a).equals(Buffer.from(b)), `${what}: rebuilt state differs from the full one`);
}

const conn = (id, latency, streams = []) => ({ id: bytes(id), latency_ns: latency, streams: { streams } });

// ------------------------------------------------------------------ hand-made cases

test('connections: replaced, removed, added; others kept as they are', () => {
  const keep = conn(2, 20);
  const prev = deepFreeze({ seq: 5, subsystems: { connections: [conn(1, 10), keep, conn(3, 30)] } });
  const d = deepFreeze({
    seq: 6,
    instant_ts: 123,
    subsystems: { connections: [conn(1, 11, [{ id: bytes(9) }]), conn(4, 40)] },
    delta: { base_seq: 5, removed_connections: [bytes(3)] },
  });
  const got = applyDelta(prev, d);
  assert.equal(got.seq, 6);
  assert.equal(got.instant_ts, 123);
  assert.equal(got.delta, null);
  assert.deepEqual(got.subsystems.connections.map((c) => [c.id[0], c.latency_ns]), [[1, 11], [2, 20], [4, 40]]);
  assert.equal(got.subsystems.connections[1], keep, 'unchanged entities are shared, not copied');
  assert.equal(got.subsystems.connections[0].streams.streams.length, 1);
  assert.ok(isDelta(d) && !isDelta(got));
});

test('dht and additional_dhts: fields from the delta, buckets patched by cpl', () => {
  const b = (cpl, ...peers) => ({ cpl, peers: peers.map((p) => ({ peer_id: p })) });
  const prev = deepFreeze({
    seq: 1,
    subsystems: {
      dht: { protocol: '/kad', incoming_queries: { success: 1 }, buckets: [b(0, 'a'), b(1, 'b'), b(2, 'c')] },
      additional_dhts: [{ name: 'lan', buckets: [b(7, 'x')] }],
    },
  });
  const d = deepFreeze({
    seq: 2,
    subsystems: {
      dht: { protocol: '/kad', incoming_queries: { success: 5 }, buckets: [b(1, 'b', 'b2'), b(9)] },
      additional_dhts: [{ name: 'lan', buckets: [] }],
    },
    delta: { base_seq: 1, removed_buckets: [{ dht: 0, cpls: [2] }, { dht: 1, cpls: [7] }] },
  });
  const got = applyDelta(prev, d).subsystems;
  assert.equal(got.dht.incoming_queries.success, 5);
  assert.deepEqual(got.dht.buckets.map((x) => [x.cpl, x.peers.length]), [[0, 1], [1, 2], [9, 0]]);
  assert.equal(got.additional_dhts.length, 1);
  assert.deepEqual(got.additional_dhts[0].buckets, []);
});

test('pubsub, peerstore and scopes by their keys; sections the delta lacks are gone', () => {
  const prev = deepFreeze({
    seq: 3,
    subsystems: {
      pubsub: { router: 'gossipsub', topics: [{ name: 'a', peer_count: 1 }, { name: 'b' }] },
      peerstore: { peers: [{ peer_id: 'p1' }, { peer_id: 'p2', agent_version: 'old' }] },
      resource_manager: { scopes: [{ kind: 0 }, { kind: 3, name: '/id' }, { kind: 4, name: '/id' }] },
      identify: { requests_in: 4 },
      transports: [{ name: 'tcp' }],
    },
  });
  const d = deepFreeze({
    seq: 4,
    subsystems: {
      pubsub: { router: 'floodsub', topics: [{ name: 'c' }] },
      peerstore: { peers: [{ peer_id: 'p2', agent_version: 'new' }] },
      resource_manager: { scopes: [{ kind: 0, usage: { memory: 9 } }] },
      transports: [{ name: 'quic-v1' }],
    },
    delta: {
      base_seq: 3,
      removed_topics: ['b'],
      removed_peers: ['p1'],
      removed_scopes: [{ kind: 3, name: '/id' }],
    },
  });
  const got = applyDelta(prev, d).subsystems;
  assert.equal(got.pubsub.router, 'floodsub');
  assert.deepEqual(got.pubsub.topics.map((t) => t.name), ['a', 'c']);
  assert.deepEqual(got.peerstore.peers.map((p) => [p.peer_id, p.agent_version]), [['p2', 'new']]);
  assert.deepEqual(got.resource_manager.scopes.map((s) => [s.kind, s.name]), [[0, undefined], [4, '/id']]);
  assert.equal(got.resource_manager.scopes[0].usage.memory, 9);
  assert.equal(got.identify, undefined, 'a section the delta lacks is absent');
  assert.deepEqual(got.transports.map((t) => t.name), ['quic-v1'], 'whole sections are the delta\'s');
});

test('mismatched or missing base, and broken deltas, throw', () => {
  const full = { seq: 7, subsystems: {} };
  const d = { seq: 9, subsystems: {}, delta: { base_seq: 8 } };
  assert.throws(() => applyDelta(full, d), (e) => e instanceof DeltaError && e.mismatch);
  assert.throws(() => applyDelta(null, d), (e) => e instanceof DeltaError && e.mismatch);
  assert.throws(() => applyDelta(full, full), (e) => e instanceof DeltaError && !e.mismatch);
  const twice = { seq: 8, subsystems: { connections: [conn(1, 1), conn(1, 2)] }, delta: { base_seq: 7 } };
  assert.throws(() => applyDelta(full, twice), DeltaError);
  const both = { seq: 8, subsystems: { connections: [conn(1, 1)] }, delta: { base_seq: 7, removed_connections: [bytes(1)] } };
  assert.throws(() => applyDelta(full, both), DeltaError);
  // 64-bit sequence numbers as protobufjs Longs or strings compare by value
  const long = protobuf.util.Long.fromNumber(7, true);
  assert.equal(applyDelta({ seq: long, subsystems: {} }, { seq: '8', delta: { base_seq: 7 } }).seq, '8');
});

// ------------------------------------------------------------------ vectors from the C library

function readRecording(buf) {
  assert.ok(buf.length >= 4 && buf.readUInt32LE(0) === 1, 'recording version 1');
  const out = [];
  for (let at = 4; at < buf.length;) {
    const len = buf.readUInt32LE(at + 4);
    out.push(new Uint8Array(buf.subarray(at + 8, at + 8 + len)));
    at += 8 + len;
  }
  return out;
}

function checkChain(records, decodeState, what) {
  let have = decodeState(records[0]);
  assert.ok(!isDelta(have), `${what}: the first record is a full state`);
  let applied = 0;
  for (let i = 1; i + 1 < records.length; i += 2) {
    const full = decodeState(records[i]);
    const d = decodeState(records[i + 1]);
    assert.ok(isDelta(d) && !isDelta(full), `${what}: record ${i + 1} is a delta`);
    // like a client: each delta applies to the state rebuilt from the previous ones
    const rebuilt = applyDelta(have, d);
    sameState(rebuilt, full, `${what} seq ${full.seq}`);
    have = rebuilt;
    applied++;
  }
  return applied;
}

const program = process.argv[2];
if (program) {
  test('deltas from the C library rebuild its full states (visualizer codec and protobufjs)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'psc-delta-'));
    try {
      const file = join(dir, 'vectors.rec');
      const r = spawnSync(program, [file, '40'], { stdio: ['ignore', 'inherit', 'inherit'] });
      assert.equal(r.status, 0, 'delta-vectors ran');
      const records = readRecording(readFileSync(file));
      assert.equal(records.length, 81);
      const viaCodec = (b) => codec.decode('ServerMessage', b).state;
      const ServerMessage = protobuf.parse(protoText, { keepCase: true }).root.lookupType('peerscope.ServerMessage');
      const viaProtobufjs = (b) => ServerMessage.decode(b).state;
      assert.equal(checkChain(records, viaCodec, 'codec'), 40);
      assert.equal(checkChain(records, viaProtobufjs, 'protobufjs'), 40);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
}

// ------------------------------------------------------------------ run

let failed = 0;
for (const [name, fn] of tests) {
  try {
    fn();
    console.log(`ok - ${name}`);
  } catch (e) {
    failed++;
    console.log(`not ok - ${name}\n  ${String(e && e.stack ? e.stack : e).split('\n').join('\n  ')}`);
  }
}
console.log(`${tests.length - failed}/${tests.length} passed`);
process.exit(failed ? 1 : 0);
