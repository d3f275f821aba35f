#!/usr/bin/env node
// Checks decode.mjs itself: messages built with protobufjs are counted
// right in both framings, and every kind of damage is refused (so the
// vector and example checks that rely on it cannot pass by accident).
//
// Usage: node selftest.mjs

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { DEFAULT_PROTO, DecodeError, diff, fnv1a32, summarize } from './decode.mjs';

const failures = [];
const check = (cond, what) => {
  if (!cond) failures.push(what);
};

// FNV-1a reference values.
const enc = (s) => Buffer.from(s, 'latin1');
check(fnv1a32(enc('')) === 0x811c9dc5, 'fnv1a("")');
check(fnv1a32(enc('a')) === 0xe40c292c, 'fnv1a("a")');
check(fnv1a32(enc('foobar')) === 0xbf9cf968, 'fnv1a("foobar")');

const root = protobuf.loadSync(DEFAULT_PROTO);
const ServerMessage = root.lookupType('peerscope.ServerMessage');
const pack = (obj) => {
  const err = ServerMessage.verify(obj);
  if (err) throw new Error(err);
  return Buffer.from(ServerMessage.encode(ServerMessage.fromObject(obj)).finish());
};

const u32 = (v) => {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
};
const record = (p) => Buffer.concat([u32(fnv1a32(p)), u32(p.length), p]);
const liveFrame = (p) => Buffer.concat([u32(1), record(p)]);
const recording = (payloads) => Buffer.concat([u32(1), ...payloads.map(record)]);
const live = (payloads) => Buffer.concat(payloads.map(liveFrame));

const version = { version: 1 };
const msgs = [
  pack({ version, runtime: { peerId: 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', eventTypes: [{ name: 'Ping' }] } }),
  pack({
    version,
    state: {
      instantTs: 10000,
      startTs: 9000,
      snapshotDurationMs: 1000,
      traffic: { trafficIn: { cumBytes: 5 } },
      subsystems: {
        connections: [
          { id: Buffer.from([1]), streams: { streams: [{ id: Buffer.from([1]), protocol: '/p', traffic: { trafficOut: { cumBytes: 3 } } }] } },
          { id: Buffer.from([2]), status: 1 },
        ],
        dht: { buckets: [{ cpl: 0, peers: [{ peerId: 'a' }, { peerId: 'b' }] }] },
      },
    },
  }),
  pack({ version, event: { type: { name: 'Ping' }, ts: 1, content: '{"x":[1,null]}' } }),
  pack({ version, event: { type: { name: 'Other' }, ts: 2, content: '{}' } }),
  pack({ version, response: { id: 7, result: 1, error: 'no' } }),
  pack({ version, notice: {} }),
];
const want = {
  messages: 6,
  versions: { 1: 6 },
  kinds: { runtime: 1, state: 1, event: 2, response: 1, notice: 1 },
  events: { count: 2, byType: { Ping: 1, Other: 1 }, undeclaredType: 1 },
  states: {
    count: 1, connections: 2, maxConnections: 2, connectionsByStatus: { 0: 1, 1: 1 },
    streams: 1, streamsWithTraffic: 1, withDht: 1, dhtBuckets: 1, dhtPeers: 2, withTraffic: 1,
  },
  responses: { count: 1, ok: 0, err: 1 },
  notices: 1,
};
for (const [format, bytes] of [['recording', recording(msgs)], ['live', live(msgs)]]) {
  const s = summarize({ format, bytes });
  const d = diff(want, s);
  check(d.length === 0, `${format} summary: ${d.join('; ')}`);
  check(s.runtime?.peerId === 'QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N', `${format} runtime peer id`);
}
// the expectation comparison itself reports differences
check(diff({ a: { b: 1 } }, { a: { b: 2 } }).length === 1, 'diff sees a changed value');
check(diff({ a: 1 }, { a: 1, extra: 2 }).length === 0, 'diff ignores keys not expected');

// Damage that must be refused.
const good = recording(msgs.slice(0, 2));
const flip = (buf, at) => {
  const b = Buffer.from(buf);
  b[at] ^= 0x01;
  return b;
};
const bad = {
  'recording version 2': Buffer.concat([u32(2), good.subarray(4)]),
  'checksum flipped': flip(good, 4),
  'payload byte flipped': flip(good, 4 + 8 + 3),
  'truncated payload': good.subarray(0, good.length - 1),
  'truncated header': Buffer.concat([good, Buffer.from([1, 2, 3])]),
  'empty file': Buffer.alloc(0),
  'not protobuf': recording([Buffer.from([0xff, 0xff, 0xff])]),
  'event content not JSON': recording([pack({ event: { type: { name: 'E' }, content: '{"a":' } })]),
  'event content not an object': recording([pack({ event: { type: { name: 'E' }, content: '[1]' } })]),
  'state times inconsistent': recording([pack({ state: { instantTs: 50000, startTs: 1000, snapshotDurationMs: 1000 } })]),
};
for (const [what, bytes] of Object.entries(bad)) {
  let threw = null;
  try {
    summarize({ format: 'recording', bytes });
  } catch (e) {
    threw = e;
  }
  check(threw instanceof DecodeError, `${what}: not refused (${threw ? threw.message : 'no error'})`);
}
const badLive = {
  'live version 0': Buffer.concat([u32(0), record(msgs[0])]),
  'live truncated': live(msgs.slice(0, 1)).subarray(0, 11),
};
for (const [what, bytes] of Object.entries(badLive)) {
  let threw = null;
  try {
    summarize({ format: 'live', bytes });
  } catch (e) {
    threw = e;
  }
  check(threw instanceof DecodeError, `${what}: not refused`);
}

// The command line: exit 0 with JSON on stdout, 1 on damage or a failed
// expectation, 2 on misuse.
const dir = mkdtempSync(join(tmpdir(), 'psc-decode-selftest-'));
try {
  const script = fileURLToPath(new URL('./decode.mjs', import.meta.url));
  const run = (...args) => spawnSync(process.execPath, [script, ...args], { encoding: 'utf8' });
  const okFile = join(dir, 'ok.rec');
  const badFile = join(dir, 'bad.rec');
  const liveFile = join(dir, 'ok.live');
  const expectFile = join(dir, 'expect.json');
  writeFileSync(okFile, recording(msgs));
  writeFileSync(badFile, bad['checksum flipped']);
  writeFileSync(liveFile, live(msgs));

  let r = run(okFile);
  check(r.status === 0 && JSON.parse(r.stdout).messages === 6, `cli ok: ${r.status} ${r.stderr}`);
  r = run('--live', liveFile);
  check(r.status === 0 && JSON.parse(r.stdout).kinds.event === 2, `cli live: ${r.status} ${r.stderr}`);
  r = run(liveFile);
  check(r.status === 1, `cli: live capture read as a recording must fail (${r.status})`);
  r = run(badFile);
  check(r.status === 1 && /FNV-1a/.test(r.stderr), `cli bad checksum: ${r.status} ${r.stderr}`);
  writeFileSync(expectFile, JSON.stringify({ kinds: { state: 2 } }));
  r = run('--expect', expectFile, okFile);
  check(r.status === 1 && /kinds\.state/.test(r.stderr), `cli failed expectation: ${r.status} ${r.stderr}`);
  writeFileSync(expectFile, JSON.stringify({ kinds: { state: 1 } }));
  r = run('--expect', expectFile, okFile);
  check(r.status === 0, `cli met expectation: ${r.status} ${r.stderr}`);
  r = run(join(dir, 'missing'));
  check(r.status === 1, `cli missing file: ${r.status}`);
  r = run('--bogus', okFile);
  check(r.status === 2, `cli bad option: ${r.status}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

if (failures.length) {
  process.stderr.write(`selftest: ${failures.length} failure(s):\n  ${failures.join('\n  ')}\n`);
  process.exit(1);
}
process.stdout.write('selftest: decode.mjs ok\n');
