// Browser tests of the web visualizer. Prints TAP; exits 0 (pass), 1
// (fail) or 77 (skipped: no chromium, or npm ci not run).
//
//   node run.mjs [--base-url URL] [--only SUBSTRING]
//   PSC_BROWSER_BASE_URL=http://127.0.0.1:8080 PSC_BROWSER_TOKEN=... node run.mjs
//
// Without a base URL every test runs against its own mock endpoint
// (mock-server.mjs); with one, against that running host.

import { skipUnlessReady } from './lib/prereq.mjs';

const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : undefined;
};

skipUnlessReady();

const { runAll } = await import('./lib/harness.mjs');
await import('./visualizer.test.mjs');
await import('./alerts.test.mjs');
await import('./replay.test.mjs');
await import('./fleet.test.mjs');
const realBase = (arg('base-url') || process.env.PSC_BROWSER_BASE_URL || '').replace(/\/+$/, '');
process.exitCode = await runAll({ realBase, filter: arg('only') });
