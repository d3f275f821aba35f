// The visualizer's fleet mode against the real peerscope-hub (tools/hub;
// PSC_HUB_BIN, or under PSC_BUILD_ROOT) pulling 20 real demo nodes
// (examples/demo/peerscope-demo, small settings, each on a free port with
// its own seed), given to the hub in a nodes file (node-01 ... node-20).
// The page at the hub's / must show all 20 rows up, and a click on a node
// must open its page through the hub (/node/NAME/) showing that node's
// peer id. Prints TAP; exits 0 (pass), 1 (fail) or 77 (skipped: no
// peerscope-hub or demo built, no chromium or npm ci).
//
//   PSC_HUB_BIN=../../build/tools/hub/peerscope-hub PSC_DEMO_BIN=../../build/examples/demo/peerscope-demo node hubbed.mjs

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { demoBinary, startDemo } from './lib/demo.mjs';
import { skipUnlessReady } from './lib/prereq.mjs';

const NODES = 20;
const START_TIMEOUT_MS = 20000;
const STOP_GRACE_MS = 10000; // then SIGKILL, and the run fails

function hubBinary() {
  const root = process.env.PSC_BUILD_ROOT;
  const candidates = [process.env.PSC_HUB_BIN, root && path.join(root, 'tools', 'hub', 'peerscope-hub')];
  return candidates.find((p) => p && fs.existsSync(p)) || null;
}

const hubBin = hubBinary();
const demoBin = demoBinary();
skipUnlessReady([
  ...(hubBin ? [] : ['tools/hub/peerscope-hub (not built yet; PSC_HUB_BIN or PSC_BUILD_ROOT)']),
  ...(demoBin ? [] : ['examples/demo/peerscope-demo (PSC_DEMO_BIN or PSC_BUILD_ROOT)']),
]);

const { test, check, equal, Failure, runAll } = await import('./lib/harness.mjs');

/** Start peerscope-hub on a free port with a nodes file; resolves once it printed its visualizer URL. */
function startHub(nodesFile) {
  return new Promise((resolve, reject) => {
    const child = spawn(hubBin, ['--port', '0', '--quiet', '--nodes', nodesFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let started = false;
    const keep = (d) => { if (out.length < 65536) out += d; };
    const exited = new Promise((done) => child.once('exit', (code, signal) => done({ code, signal })));
    const killHard = () => child.kill('SIGKILL');
    process.on('exit', killHard);
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(killHard, STOP_GRACE_MS);
      const res = await exited;
      clearTimeout(timer);
      return res;
    };
    const timer = setTimeout(() => { stop(); reject(new Error(`peerscope-hub did not start within ${START_TIMEOUT_MS} ms:\n${out}`)); }, START_TIMEOUT_MS);
    child.on('error', (e) => { clearTimeout(timer); reject(new Error(`cannot run ${hubBin}: ${e.message}`)); });
    child.stderr.on('data', keep);
    child.stdout.on('data', (d) => {
      keep(d);
      const m = /visualizer:\s+(http:\/\/\S+)/.exec(out);
      if (m && !started) {
        started = true;
        clearTimeout(timer);
        resolve({ url: m[1].replace(/\/+$/, ''), stop, output: () => out });
      }
    });
    exited.then(({ code, signal }) => {
      if (started) return;
      clearTimeout(timer);
      reject(new Error(`peerscope-hub exited (${code ?? signal}) before its banner:\n${out}`));
    });
  });
}

const demos = [];
const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'psc-hubbed-'));
let hub = null;

async function openFleet(page) {
  await page.setViewportSize({ width: 1600, height: 1500 });
  await page.goto(`${hub.url}/`);
  await page.waitForFunction((n) => document.body.dataset.mode === 'fleet' && document.querySelector('.view-fleet')?.dataset.up === String(n),
    NODES, { timeout: 30000 }).catch(async () => {
    const got = await page.evaluate(() => document.querySelector('.view-fleet')?.dataset.up);
    throw new Failure(`all ${NODES} nodes up: not within 30 s (up: ${got})`);
  });
}

test('hub: 20 pulled demo nodes, every row up with its demo\'s peer id', async (t) => {
  const { page } = t;
  await openFleet(page);
  equal(await page.getAttribute('.view-fleet', 'data-nodes'), String(NODES), 'rows');
  equal(await page.locator('.fleet-nodes .vt-body .vt-row:not([hidden])').count(), NODES, 'rows drawn');
  for (let i = 0; i < NODES; i++) {
    const name = `node-${String(i + 1).padStart(2, '0')}`;
    const peer = page.locator(`.fleet-nodes .vt-row[data-key="${name}"] .vt-cell[data-col="peer"]`);
    await page.waitForFunction(([sel, id]) => document.querySelector(sel)?.title === id,
      [`.fleet-nodes .vt-row[data-key="${name}"] .vt-cell[data-col="peer"]`, demos[i].peerId], { timeout: 20000 })
      .catch(() => { throw new Failure(`${name}: the row shows its demo's peer id ${demos[i].peerId}`); });
    check(await peer.count() === 1, `${name}: one row`);
  }
  await t.shot('hub-fleet');
});

test('hub: a click on a node opens its page through the hub, showing that node\'s peer id', async (t) => {
  const { page } = t;
  await openFleet(page);
  const k = 6;
  const name = `node-${String(k + 1).padStart(2, '0')}`;
  await page.click(`.fleet-nodes .vt-row[data-key="${name}"] .vt-cell[data-col="name"]`);
  await page.waitForURL((u) => u.pathname === `/node/${name}/`, { timeout: 20000 });
  await page.waitForFunction((id) => document.querySelector('#node-peer-id')?.textContent === id, demos[k].peerId, { timeout: 30000 })
    .catch(() => { throw new Failure(`the page of ${name} shows ${demos[k].peerId}`); });
  check(await page.evaluate(() => document.body.dataset.mode !== 'fleet'), 'a node page, not the fleet');
  await t.shot('hub-node-page');
  await page.goBack();
  await page.waitForFunction(() => document.body.dataset.mode === 'fleet', null, { timeout: 20000 });
});

let code = 1;
try {
  // Small nodes: 20 of them share the machine with the hub and the browser.
  for (let i = 0; i < NODES; i++) {
    demos.push(await startDemo(demoBin, ['--seed', String(i + 1), '--peers', '30', '--conns', '4', '--streams', '2', '--topics', '1', '--event-rate', '1'], { duration: 300 }));
  }
  const nodesFile = path.join(dir, 'nodes.txt');
  fs.writeFileSync(nodesFile, demos.map((d, i) => `node-${String(i + 1).padStart(2, '0')} ${d.wsUrl}\n`).join(''));
  hub = await startHub(nodesFile);
  console.log(`# peerscope-hub at ${hub.url} with ${NODES} demo nodes`);
  code = await runAll({ realBase: '', filter: undefined });
} catch (e) {
  console.log(`Bail out! ${e.message}`);
  code = 1;
} finally {
  if (hub) {
    const res = await hub.stop();
    if (res.code !== 0) {
      console.log(`# peerscope-hub exited with ${res.code ?? res.signal} on SIGTERM:`);
      for (const line of hub.output().split('\n')) console.log(`#   ${line}`);
      code = 1;
    }
  }
  for (const d of demos) await d.stop();
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exitCode = code;
