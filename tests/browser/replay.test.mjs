// The visualizer against a replaying endpoint (mock-server.mjs --replay,
// pushed step by step by the test): the time bar spans the whole recording,
// a seek to a time not held asks REQUEST STATE at_ts and shows the answer,
// a loop restart keeps the held states in time order. The expected states
// come from the recording file through protobufjs (lib/oracle.mjs).
//
// PSC_UPDATE_DOCS=1 also writes docs/visualizer-replay.png.

import fs from 'node:fs';
import path from 'node:path';
import { test, check, equal, Failure } from './lib/harness.mjs';
import { sourceRoot, vector } from './lib/paths.mjs';
import { recordedStates } from './lib/oracle.mjs';
import { startMockServer } from './mock-server.mjs';

const FILE = 'sample-dht-2min.mock';
const WAIT_MS = 20000;

async function until(page, fn, arg, what) {
  await page.waitForFunction(fn, arg, { timeout: WAIT_MS }).catch(() => { throw new Failure(`${what}: not within ${WAIT_MS / 1000} s`); });
}

const attr = (page, name) => page.getAttribute('#timebar', name);

/** Wait (polling, bounded) for a condition on this side, such as what the mock received. */
async function untilHere(cond, what) {
  for (const end = Date.now() + WAIT_MS; !cond();) {
    if (Date.now() > end) throw new Failure(`${what}: not within ${WAIT_MS / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Wait until the page shows the state of time ts and has no seek in flight. */
const untilShown = (page, ts, what) => until(page, (want) => {
  const tb = document.querySelector('#timebar');
  return tb.dataset.pending === '' && Number(tb.dataset.shownTs) === want;
}, ts, what);

/** A manual replay of FILE and the page on it, once its first state is drawn. */
async function openReplay(t, opts = {}) {
  const mock = await startMockServer({ replay: { file: vector(FILE), manual: true, loop: true, speed: 1, ...opts } });
  t.cleanup(() => mock.close());
  await t.page.goto(`${mock.url}/`);
  await t.page.waitForSelector('body[data-phase="replay"]', { timeout: WAIT_MS });
  await until(t.page, () => Number(document.querySelector('#timebar').dataset.count) >= 1, null, 'the first pushed state');
  return mock;
}

/** Click the time bar's slider where time ts is. */
async function clickAt(page, ts, start, end) {
  const box = await page.locator('.tb-slider').boundingBox();
  check(box && box.width > 100, 'the slider is laid out');
  const x = box.x + box.width * ((ts - start) / (end - start));
  await page.mouse.click(x, box.y + box.height / 2);
}

const atTsCommands = (mock) => mock.log.commands.filter((c) => c.at_ts);

test('replay: the time bar spans the recording; a seek asks at_ts and shows that state', async (t) => {
  const { page } = t;
  const rec = recordedStates(vector(FILE));
  const mock = await openReplay(t);
  const r = mock.recording();
  // Four states pushed (the first one, then three): the slider is over the whole recording nonetheless.
  mock.advance(3);
  await until(page, () => Number(document.querySelector('#timebar').dataset.count) === 4, null, 'four pushed states held');
  equal(Number(await attr(page, 'data-start')), r.start_ts, 'time bar start');
  equal(Number(await attr(page, 'data-end')), r.end_ts, 'time bar end');
  equal(Number(await page.getAttribute('.tb-slider', 'min')), r.start_ts, 'slider min');
  equal(Number(await page.getAttribute('.tb-slider', 'max')), r.end_ts, 'slider max');
  const tag = (await page.textContent('.tb-replay')).trim();
  check(tag.includes(FILE) && tag.includes('1×') && tag.includes('loop'), `replay indicator: ${tag}`);
  equal(Number(await attr(page, 'data-shown-ts')), rec.states[3].instant_ts, 'following: the state pushed last');

  // A time two thirds in: not held, so the page asks the endpoint.
  const want = r.start_ts + (r.end_ts - r.start_ts) * 2 / 3;
  await clickAt(page, want, r.start_ts, r.end_ts);
  // the request first (pending is empty also before it goes out), then its answer on the page
  await untilHere(() => atTsCommands(mock).length > 0, 'REQUEST STATE with at_ts sent');
  const asked = atTsCommands(mock);
  equal(asked.length, 1, 'REQUEST STATE with at_ts sent once');
  check(Math.abs(asked[0].at_ts - want) < (r.end_ts - r.start_ts) / 100, `at_ts ${asked[0].at_ts} is where the slider was clicked (${want})`);
  const expected = rec.at(asked[0].at_ts);
  check(expected.instant_ts > rec.states[3].instant_ts, 'the state asked for is beyond what was pushed');
  await untilShown(page, expected.instant_ts, 'the state shown is the one of that time');
  // The views show it: the connections of that recorded state.
  await page.click('.tab[data-view="connections"]');
  const section = 'section[data-view="connections"]';
  await until(page, ([s, ts]) => Number(document.querySelector(s).dataset.ts) === ts, [section, expected.instant_ts], 'connections view at the seek');
  equal(Number(await page.getAttribute(section, 'data-conn-rows')), expected.subsystems.connections.length, 'connections of the state at that time');
  await t.shot('replay-seek');

  // A time between two pushed states is held: no request, the earlier state is shown.
  const held = rec.states[1].instant_ts + (rec.states[2].instant_ts - rec.states[1].instant_ts) / 2;
  await clickAt(page, held, r.start_ts, r.end_ts);
  await until(page, (ts) => Number(document.querySelector('#timebar').dataset.shownTs) === ts, rec.states[1].instant_ts, 'the held state');
  equal(atTsCommands(mock).length, 1, 'no request for a held time');
  // Follow: back to the replay's position, which the next push moves.
  await page.click('.tb-live');
  mock.advance(1);
  await until(page, (ts) => Number(document.querySelector('#timebar').dataset.shownTs) === ts, rec.states[4].instant_ts, 'following the next pushed state');
  const order = await page.evaluate(() => window.peerscope.store.states.map((e) => e.ts));
  check(order.every((x, i) => i === 0 || order[i - 1] < x), `held states in time order: ${order.join(',')}`);
}, { mockOnly: true });

test('replay: a loop restart keeps the held states in time order', async (t) => {
  const { page } = t;
  const rec = recordedStates(vector(FILE));
  const n = rec.states.length;
  const mock = await openReplay(t);
  // The rest of the recording, then the loop starts again: three states of the next pass.
  mock.advance(n - 1 + 3);
  await until(page, (ts) => Number(document.querySelector('#timebar').dataset.shownTs) === ts, rec.states[2].instant_ts, 'the replay position after the restart');
  equal(Number(await attr(page, 'data-count')), n, 'every recorded state held once');
  const got = await page.evaluate(() => ({ ts: window.peerscope.store.states.map((e) => e.ts), loops: window.peerscope.store.replayStats.loops }));
  equal(got.loops, 1, 'loop restarts seen');
  equal(JSON.stringify(got.ts), JSON.stringify(rec.states.map((s) => s.instant_ts)), 'held states: the recording in time order');
  // The slider still spans the recording, and after a whole pass every time is held: no request.
  const r = mock.recording();
  equal(Number(await page.getAttribute('.tb-slider', 'max')), r.end_ts, 'slider max after the restart');
  const mid = Math.floor(n / 2);
  await clickAt(page, (rec.states[mid].instant_ts + rec.states[mid + 1].instant_ts) / 2, r.start_ts, r.end_ts);
  await until(page, (ts) => Number(document.querySelector('#timebar').dataset.shownTs) === ts, rec.states[mid].instant_ts, 'a state of the first pass');
  equal(atTsCommands(mock).length, 0, 'no request for a time held after a whole pass');
  // (the time bar and the shown view are drawn in the same frame)
  await t.shot('visualizer-replay');
  if (process.env.PSC_UPDATE_DOCS) fs.copyFileSync(path.join(t.artifacts, 'visualizer-replay.png'), path.join(sourceRoot, 'docs', 'visualizer-replay.png'));
  // Following again: the replay's second pass goes on where it is.
  await page.click('.tb-live');
  mock.advance(1);
  await until(page, (ts) => Number(document.querySelector('#timebar').dataset.shownTs) === ts, rec.states[3].instant_ts, 'the second pass, followed');
  equal(Number(await attr(page, 'data-count')), n, 'still every recorded state once');
}, { mockOnly: true });

test('replay: a refused seek is told in the time bar, the shown state stays', async (t) => {
  const { page } = t;
  const rec = recordedStates(vector(FILE));
  const mock = await openReplay(t);
  const r = mock.recording();
  // The recording starts with events: before its first state there is no state to give.
  check(r.start_ts + 1000 < rec.states[0].instant_ts, 'the recording has events before its first state');
  await clickAt(page, r.start_ts + 500, r.start_ts, r.end_ts);
  await until(page, () => document.querySelector('.tb-span').textContent.includes('seek failed'), null, 'the refusal shown');
  equal(atTsCommands(mock).length, 1, 'asked once');
  check(atTsCommands(mock)[0].at_ts < rec.states[0].instant_ts, 'for a time before the first state');
  equal(await attr(page, 'data-pending'), '', 'no seek pending');
  equal(Number(await attr(page, 'data-shown-ts')), rec.states[0].instant_ts, 'the shown state stays');
}, { mockOnly: true });

test('live endpoint: no replay indicator, the slider is over the held states', async (t) => {
  const { page } = t;
  const mock = await startMockServer({ synthetic: { conns: 8 } });
  t.cleanup(() => mock.close());
  await page.goto(`${mock.url}/`);
  await page.waitForSelector('body[data-phase="open"]', { timeout: WAIT_MS });
  await until(page, () => Number(document.querySelector('#timebar').dataset.count) >= 2, null, 'two states');
  equal(await attr(page, 'data-replay'), null, 'no replay mode');
  check(await page.locator('.tb-replay').isHidden(), 'replay indicator hidden');
  equal(await page.getAttribute('.tb-slider', 'min'), '0', 'slider over state indexes');
  equal(atTsCommands(mock).length, 0, 'no at_ts');
}, { mockOnly: true });
