// The visualizer and a Node client against the real replaying endpoint,
// tools/replay's peerscope-replay (PSC_REPLAY_BIN, or under PSC_BUILD_ROOT),
// serving each observer-toolkit recording in turn: started on a free port with
// --speed max, ready once GET /healthz answers 200, stopped with SIGTERM
// (which must end it with 0). Runs replayed.test.mjs. Prints TAP; exits 0
// (pass), 1 (fail) or 77 (skipped: no peerscope-replay built yet, no
// chromium or npm ci).
//
//   PSC_REPLAY_BIN=../../build/tools/replay/peerscope-replay node replayed.mjs [--only SUBSTRING]

import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { skipUnlessReady } from './lib/prereq.mjs';
import { vector } from './lib/paths.mjs';

const FILES = ['sample-1min.mock', 'sample-dht-2min.mock'];
const HEALTH_POLLS = 400;    // at 25 ms apart: what a loaded machine may need to start it
const STOP_GRACE_MS = 10000; // then SIGKILL, and the run fails

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

function replayBinary() {
  const root = process.env.PSC_BUILD_ROOT;
  const candidates = [process.env.PSC_REPLAY_BIN,
    root && path.join(root, 'tools', 'replay', 'peerscope-replay'),
    root && path.join(root, 'tools', 'peerscope-replay')];
  return candidates.find((p) => p && fs.existsSync(p)) || null;
}

function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

const bin = replayBinary();
skipUnlessReady(bin ? [] : ['tools/replay/peerscope-replay (not built yet; PSC_REPLAY_BIN or PSC_BUILD_ROOT)']);

const { runAll } = await import('./lib/harness.mjs');
await import('./replayed.test.mjs');

/** One recording served and tested; resolves to 0 when everything passed. */
async function runFile(name) {
  const file = vector(name);
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  const child = spawn(bin, ['--port', String(port), '--speed', 'max', file], { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const keep = (d) => { if (output.length < 65536) output += d; };
  child.stdout.on('data', keep);
  child.stderr.on('data', keep);
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  let gone = null;
  exited.then((r) => { gone = r; });
  const killHard = () => { if (!gone) child.kill('SIGKILL'); };
  process.on('exit', killHard);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(sig, () => { killHard(); process.exit(1); });

  let code = 1;
  try {
    // Bounded polling for readiness: the process says nothing else we rely on.
    let ready = false;
    for (let i = 0; i < HEALTH_POLLS && !gone && !ready; i++) {
      ready = await fetch(`${base}/healthz`).then((r) => r.status === 200, () => false);
      if (!ready) await sleep(25);
    }
    if (!ready) throw new Error(gone ? `peerscope-replay exited (${gone.code ?? gone.signal}) before it was ready` : 'peerscope-replay never answered /healthz with 200');
    console.log(`# peerscope-replay ${name} at ${base}`);
    code = await runAll({ realBase: base, host: { file, wsUrl: `ws://127.0.0.1:${port}/introspect` }, filter: only });
  } catch (e) {
    console.log(`Bail out! ${e.message}`);
    code = 1;
  } finally {
    if (!gone) child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
    const res = await exited;
    clearTimeout(timer);
    if (res.code !== 0) {
      console.log(`# peerscope-replay exited with ${res.code ?? res.signal} on SIGTERM`);
      code = 1;
    }
    if (code !== 0) for (const line of output.split('\n')) console.log(`#   ${line}`);
  }
  return code;
}

let status = 0;
for (const name of FILES) if ((await runFile(name)) !== 0) status = 1;
process.exitCode = status;
