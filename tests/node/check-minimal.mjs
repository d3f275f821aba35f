#!/usr/bin/env node
// Runs examples/minimal with the all-zero seed, decodes the frames it
// writes with decode.mjs (protobufjs only) and checks them against what
// the example's host reports and the FIELD-NOTES peer id check vector.
//
// Usage: node check-minimal.mjs PATH/TO/minimal

import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { diff, summarize } from './decode.mjs';

const ZERO_SEED_PEER_ID = '12D3KooWDpJ7As7BWAwRMfu1VU2WCqNjvq387JEYKDBj4kx6nXTN';

function fail(msg) {
  process.stderr.write(`check-minimal: ${msg}\n`);
  process.exit(1);
}

if (!process.argv[2]) fail('usage: node check-minimal.mjs PATH/TO/minimal');
// meson may pass a bare relative name, which spawn would look up in PATH
const exe = resolve(process.argv[2]);

const dir = mkdtempSync(join(tmpdir(), 'psc-minimal-'));
try {
  const out = join(dir, 'frames.bin');
  const run = spawnSync(exe, ['--seed', '00'.repeat(32), '--out', out], { encoding: 'utf8' });
  if (run.error) fail(`cannot run ${exe}: ${run.error.message}`);
  if (run.status !== 0) fail(`${exe} exited with ${run.status}:\n${run.stderr}`);

  const s = summarize({ format: 'live', file: out });
  process.stdout.write(JSON.stringify(s, null, 2) + '\n');

  // The example's host: two connections, 3 + 2 streams; stream j of a
  // connection received 1000 * (j + 1) bytes and sent 400 * (conn + 1).
  const want = {
    messages: 2,
    versions: { 1: 2 },
    kinds: { runtime: 1, state: 1 },
    runtime: { implementation: 'peerscope-minimal', peerId: ZERO_SEED_PEER_ID },
    states: {
      count: 1,
      connections: 2,
      connectionsByStatus: { 0: 2 },
      streams: 5,
      streamsWithTraffic: 5,
      withTraffic: 1,
      providerErrors: 0,
      protocols: { '/ipfs/kad/1.0.0': 2, '/ipfs/id/1.0.0': 2, '/meshsub/1.1.0': 1 },
      last: { seq: 1, connections: 2, bytesIn: 6000 + 3000, bytesOut: 1200 + 1600 },
    },
  };
  const d = diff(want, s);
  if (!s.runtime?.eventTypes?.includes('PeerConnected')) d.push('.runtime.eventTypes: PeerConnected missing');
  for (const p of s.states.last?.peers ?? [])
    if (!/^12D3KooW[1-9A-HJ-NP-Za-km-z]+$/.test(p)) d.push(`.states.last.peers: ${p} is not an Ed25519 peer id`);

  // What it printed agrees with what it encoded.
  if (!run.stdout.includes(ZERO_SEED_PEER_ID)) d.push('stdout: peer id missing');
  if (!/2 connections, 5 streams/.test(run.stdout)) d.push('stdout: counts missing');
  if (d.length) fail(`unexpected result:\n  ${d.join('\n  ')}\nstdout was:\n${run.stdout}`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
