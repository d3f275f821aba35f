// A small TAP test harness around one headless Chromium (Debian's, through
// playwright-core; never a downloaded browser). Every test gets a fresh
// page; a console error or an uncaught page error fails the test unless
// the test said it expects that exact message.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { artifactsDir } from './paths.mjs';
import { CHROMIUM } from './prereq.mjs';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run'];
const TEST_TIMEOUT_MS = 90000;

const tests = [];

/** Declare a test. opts.mockOnly: needs the mock server's controls (skipped against a real host). */
export function test(name, fn, opts = {}) {
  tests.push({ name, fn, ...opts });
}

export class Failure extends Error {}

/** Throw from a test to skip it (something it needs is not there). */
export class Skip extends Error {}

export function check(cond, message) {
  if (!cond) throw new Failure(message);
}

export function equal(actual, expected, what) {
  if (actual !== expected) throw new Failure(`${what}: got ${JSON.stringify(actual)}, want ${JSON.stringify(expected)}`);
}

/**
 * Run every declared test; resolves to the process exit code. realBase: a
 * running host's page (tests that need the mock skip); host: what that
 * host is known to be ({peerId, wsUrl}), for the tests to compare with.
 */
export async function runAll({ realBase, filter, host = null }) {
  fs.mkdirSync(artifactsDir, { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'psc-chromium-'));
  // Also when a signal handler (lib/demo.mjs) ends the process mid-run.
  const removeProfile = () => fs.rmSync(userDataDir, { recursive: true, force: true });
  process.on('exit', removeProfile);
  const ctx = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    acceptDownloads: true,
    viewport: { width: 1440, height: 900 },
    colorScheme: 'dark',
  });
  for (const p of ctx.pages()) await p.close();
  const chosen = tests.filter((t) => !filter || t.name.includes(filter));
  console.log('TAP version 13');
  console.log(`1..${chosen.length}`);
  let failed = 0;
  let n = 0;
  for (const t of chosen) {
    n++;
    if (t.mockOnly && realBase) {
      console.log(`ok ${n} - ${t.name} # SKIP needs the mock endpoint's controls`);
      continue;
    }
    const page = await ctx.newPage();
    const consoleErrors = [];
    const allowed = [];
    page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
    page.on('pageerror', (e) => consoleErrors.push(`uncaught: ${e.message}\n${e.stack || ''}`));
    const cleanups = [];
    const started = Date.now();
    const tctx = {
      page,
      ctx,
      realBase,
      host,
      artifacts: artifactsDir,
      allowConsole: (re) => allowed.push(re),
      cleanup: (fn) => cleanups.push(fn),
      info: (text) => console.log(`# ${t.name}: ${text}`),
      shot: async (name, p = page) => p.screenshot({ path: path.join(artifactsDir, `${name}.png`) }),
    };
    let error = null;
    let skipped = null;
    let timer;
    try {
      await Promise.race([
        t.fn(tctx),
        new Promise((_, reject) => { timer = setTimeout(() => reject(new Failure(`timed out after ${TEST_TIMEOUT_MS} ms`)), TEST_TIMEOUT_MS); }),
      ]);
      const unexpected = consoleErrors.filter((e) => !allowed.some((re) => re.test(e)));
      if (unexpected.length) error = new Failure(`console errors:\n${unexpected.join('\n')}`);
    } catch (e) {
      if (e instanceof Skip) {
        skipped = e.message;
      } else {
        error = e;
        if (consoleErrors.length) error.message += `\nconsole errors:\n${consoleErrors.join('\n')}`;
      }
    } finally {
      clearTimeout(timer);
    }
    if (error) {
      try { await tctx.shot(`FAILED-${t.name.replace(/[^a-z0-9]+/gi, '-')}`); } catch { /* page gone */ }
    }
    await page.close().catch(() => {});
    for (const fn of cleanups.reverse()) await fn().catch(() => {});
    const secs = ((Date.now() - started) / 1000).toFixed(1);
    if (skipped !== null) {
      console.log(`ok ${n} - ${t.name} # SKIP ${skipped}`);
    } else if (error) {
      failed++;
      console.log(`not ok ${n} - ${t.name}`);
      console.log('  ---');
      for (const line of String(error instanceof Failure ? error.message : error.stack || error).split('\n')) console.log(`  # ${line}`);
      console.log('  ...');
    } else {
      console.log(`ok ${n} - ${t.name} (${secs}s)`);
    }
  }
  await ctx.close();
  removeProfile();
  process.off('exit', removeProfile);
  return failed ? 1 : 0;
}
