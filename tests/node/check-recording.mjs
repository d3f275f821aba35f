#!/usr/bin/env node
// Runs tests/recorder's record-sample, which records a small host with the
// flight recorder (deltas in between full states) and writes a 2020
// recording, then decodes that file with decode.mjs (protobufjs and the
// .proto only) and checks what a 2020 tool would see: Runtime first,
// every state whole and as the host reported it, events in order with
// each type's metadata on its first event only.
//
// Usage: node check-recording.mjs PATH/TO/record-sample

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import protobuf from 'protobufjs';
import { DEFAULT_PROTO, diff, fnv1a32, summarize } from './decode.mjs';

function fail(msg) {
  process.stderr.write(`check-recording: ${msg}\n`);
  process.exit(1);
}

if (!process.argv[2]) fail('usage: node check-recording.mjs PATH/TO/record-sample');
const exe = resolve(process.argv[2]);

// The records of a recording file, decoded (decode.mjs has checked the framing).
function records(buf) {
  const ServerMessage = protobuf.loadSync(DEFAULT_PROTO).lookupType('peerscope.ServerMessage');
  const out = [];
  for (let off = 4; off < buf.length;) {
    const sum = buf.readUInt32LE(off), len = buf.readUInt32LE(off + 4);
    const payload = buf.subarray(off + 8, off + 8 + len);
    if (fnv1a32(payload) !== sum) fail(`record ${out.length}: checksum`);
    out.push(ServerMessage.toObject(ServerMessage.decode(payload), { longs: Number, defaults: true, oneofs: true }));
    off += 8 + len;
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'psc-recording-'));
try {
  const file = join(dir, 'sample.rec');
  const run = spawnSync(exe, [file], { encoding: 'utf8' });
  if (run.error) fail(`cannot run ${exe}: ${run.error.message}`);
  if (run.status !== 0) fail(`${exe} exited with ${run.status}:\n${run.stderr}`);
  if (!run.stdout.includes('6 deltas')) fail(`expected deltas to be rebuilt: ${run.stdout}`);

  const s = summarize({ format: 'recording', file });
  process.stdout.write(JSON.stringify(s, null, 2) + '\n');
  const want = {
    messages: 31,
    versions: { 1: 31 },
    kinds: { runtime: 1, state: 10, event: 20 },
    runtime: { implementation: 'record-sample', peerId: '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN' },
    events: { count: 20, byType: { PeerConnected: 10, NewBlock: 10 }, undeclaredType: 0 },
    states: { count: 10, connections: 55, maxConnections: 10, providerErrors: 0,
              last: { seq: 10, connections: 10, bytesIn: 220000 } },
  };
  const d = diff(want, s);

  const recs = records(readFileSync(file));
  if (recs[0].payload !== 'runtime') d.push('record 0 is not the Runtime');
  const seen = new Set();
  let lastT = 0, lastSeq = 0, k = 0;
  for (const [i, m] of recs.entries()) {
    if (m.payload === 'state') {
      if (m.state.delta) d.push(`record ${i}: a delta state`);
      const conns = m.state.subsystems?.connections ?? [];
      if (conns.length !== k + 1) d.push(`state ${k}: ${conns.length} connections, expected ${k + 1}`);
      conns.forEach((c, j) => {
        const n = j + 1, got = Number(c.traffic?.trafficIn?.cumBytes ?? 0);
        if (got !== 1000 * n * (k - n + 2)) d.push(`state ${k}, connection ${n}: ${got} bytes in`);
      });
      if (m.state.instantTs < lastT) d.push(`record ${i}: before the one ahead of it`);
      lastT = m.state.instantTs;
      k++;
    } else if (m.payload === 'event') {
      const name = m.event.type.name, meta = m.event.type.propertyTypes.length;
      if (!seen.has(name) && meta !== 4) d.push(`record ${i}: the first ${name} lacks its metadata`);
      if (seen.has(name) && meta !== 0) d.push(`record ${i}: ${name} carries its metadata again`);
      seen.add(name);
      if (m.event.seq !== lastSeq + 1) d.push(`record ${i}: event seq ${m.event.seq} after ${lastSeq}`);
      lastSeq = m.event.seq;
      if (m.event.ts < lastT) d.push(`record ${i}: before the one ahead of it`);
      lastT = m.event.ts;
    }
  }
  if (d.length) fail(`differences:\n  ${d.join('\n  ')}`);
  process.stdout.write('check-recording: OK\n');
} finally {
  rmSync(dir, { recursive: true, force: true });
}
