// The visualizer as a real host serves it. Starts examples/demo/peerscope-demo
// (PSC_DEMO_BIN or PSC_BUILD_ROOT, set by meson) on a free port with a fixed
// seed, then runs served.test.mjs and the visualizer tests against the page
// that the demo's own endpoint serves at http://127.0.0.1:PORT/. Prints TAP;
// exits 0 (pass), 1 (fail) or 77 (skipped: no demo, chromium or npm ci).
//
//   PSC_DEMO_BIN=../../build/examples/demo/peerscope-demo node served.mjs [--only SUBSTRING]

import { demoBinary, startDemo } from './lib/demo.mjs';
import { skipUnlessReady } from './lib/prereq.mjs';

const args = process.argv.slice(2);
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined;

const bin = demoBinary();
skipUnlessReady(bin ? [] : ['examples/demo/peerscope-demo (build it; PSC_DEMO_BIN or PSC_BUILD_ROOT)']);

const { runAll } = await import('./lib/harness.mjs');
await import('./served.test.mjs');
await import('./visualizer.test.mjs');

// --duration: the demo ends by itself even if this process is killed hard.
const demo = await startDemo(bin, ['--seed', '7', '--conns', '40'], { duration: 300 });
console.log(`# demo ${demo.peerId} at ${demo.httpUrl}`);
let code = 1;
try {
  code = await runAll({ realBase: demo.httpUrl.replace(/\/+$/, ''), host: demo, filter: only });
} finally {
  const res = await demo.stop();
  // A demo that does not stop cleanly (a crash, a sanitizer's report) fails the run.
  if (res.code !== 0) {
    console.log(`# the demo host exited with ${res.code ?? res.signal}:`);
    for (const line of demo.output().split('\n')) console.log(`#   ${line}`);
    code = 1;
  }
}
process.exitCode = code;
