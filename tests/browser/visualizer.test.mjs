// The visualizer in a real browser, against the mock endpoint (or, with
// PSC_BROWSER_BASE_URL, against a running peerscope host: the tests that
// need the mock's controls are then skipped; served.mjs runs the others
// against the page the demo host serves).

import fs from 'node:fs';
import protobuf from 'protobufjs';
import { test, check, equal, Failure, Skip } from './lib/harness.mjs';
import { protoPath, vector } from './lib/paths.mjs';
import { demoBinary, startDemo } from './lib/demo.mjs';
import { hostIntervals } from './lib/introspect.mjs';
import { nextFrame, pauseSettled, watchPage } from './lib/pagewire.mjs';
import { startMockServer } from './mock-server.mjs';

const VIEWS = ['overview', 'connections', 'streams', 'dht', 'pubsub', 'peerstore', 'resources', 'events'];

// The independent oracle: protobufjs's generated decoder (fine in Node).
const oracleRoot = protobuf.parse(fs.readFileSync(protoPath, 'utf8'), { keepCase: true }).root;
const SM = oracleRoot.lookupType('peerscope.ServerMessage');

function decodeRecording(buf) {
  check(buf.readUInt32LE(0) === 1, 'recording version is 1');
  const out = [];
  let off = 4;
  while (off < buf.length) {
    const len = buf.readUInt32LE(off + 4);
    const m = SM.toObject(SM.decode(buf.subarray(off + 8, off + 8 + len)), { longs: Number, oneofs: true, defaults: true });
    out.push(m);
    off += 8 + len;
  }
  check(off === buf.length, 'recording ends on a record boundary');
  return out;
}

/**
 * Start the page: against the real host, or a fresh mock endpoint. Also
 * returns the page's WebSocket frames as they go (wire, lib/pagewire.mjs)
 * and the endpoint's WebSocket address and token, for sessions of the
 * test's own.
 */
async function open(t, opts = {}) {
  let base;
  let mock = null;
  if (t.realBase) {
    base = t.realBase;
  } else {
    mock = await startMockServer(opts);
    t.cleanup(() => mock.close());
    base = mock.url;
  }
  const token = t.realBase ? process.env.PSC_BROWSER_TOKEN : opts.pageToken;
  const wire = watchPage(t.page);
  const wsUrl = `${base.replace(/^http/, 'ws')}/introspect`;
  if (opts.navigate !== false) await t.page.goto(`${base}/${token ? `?token=${encodeURIComponent(token)}` : ''}${opts.hash || ''}`);
  return { base, mock, wire, wsUrl, token };
}

/** The page's state interval (its settings are kept between pages). */
function pageInterval(page) {
  return page.evaluate(() => window.peerscope.client.config.state_snapshot_interval_ms);
}

/**
 * While the page is paused: let the host push at least two more states to
 * the page's session (held there), measured on the host's own clock by a
 * session of the test's own, and check that the page showed none of them.
 * Returns {lastN, resumeAt} for heldArrived.
 */
async function holdWhilePaused(page, wsUrl, token, what) {
  const count = () => page.getAttribute('#timebar', 'data-count').then(Number);
  const paused = await count();
  // The first and the fourth state pushed to a session with the same
  // interval are nearly three intervals apart: the page's session, whatever
  // its phase, had at least two states due in between.
  await hostIntervals(wsUrl, 4, { token, intervalMs: await pageInterval(page) });
  equal(await count(), paused, what);
  const lastN = await page.evaluate(() => { const st = window.peerscope.store.states; return st[st.length - 1].n; });
  return { lastN, resumeAt: Date.now() };
}

/** After a resume: the states held while paused reached the page (taken before the resume, arrived after it). */
async function heldArrived(page, { lastN, resumeAt }, what) {
  const held = await page.evaluate(([n, at]) => window.peerscope.store.states.filter((e) => e.n > n && e.ts <= at).length, [lastN, resumeAt]);
  check(held >= 1, `${what}: ${held} states taken while paused arrived after the resume`);
}

/**
 * Wait until the attribute attr of the element sel reads want (the views
 * draw on the next animation frame); fail naming what it read instead.
 */
async function waitAttr(page, sel, attr, want, what) {
  const ok = await page.waitForFunction(([s, a, w]) => {
    const e = document.querySelector(s);
    return !!e && e.getAttribute(a) === w;
  }, [sel, attr, String(want)], { timeout: 20000 }).then(() => true, () => false);
  if (!ok) equal(await page.getAttribute(sel, attr), String(want), what);
}

/** Wait until fn(arg) holds in the page; fail saying `what` did not happen. */
async function eventually(page, fn, arg, what) {
  await page.waitForFunction(fn, arg, { timeout: 20000 }).catch(() => { throw new Failure(`${what}: not within 20 s`); });
}

/** The same as waitAttr for the trimmed text of sel. */
async function waitText(page, sel, want, what) {
  const ok = await page.waitForFunction(([s, w]) => {
    const e = document.querySelector(s);
    return !!e && e.textContent.trim() === w;
  }, [sel, want], { timeout: 20000 }).then(() => true, () => false);
  if (!ok) equal((await page.textContent(sel)).trim(), want, what);
}

async function waitPhase(page, phase, timeout = 20000) {
  await page.waitForSelector(`body[data-phase="${phase}"]`, { timeout });
}

async function showView(page, id) {
  await page.click(`.tab[data-view="${id}"]`);
  await page.waitForSelector(`section[data-view="${id}"]:not([hidden])`);
}

test('loads, connects and shows the host', async (t) => {
  const { page } = t;
  const { mock } = await open(t, { synthetic: { conns: 40 } });
  await waitPhase(page, 'open');
  const id = (await page.textContent('#node-peer-id', { timeout: 20000 })).trim();
  if (mock) equal(id, mock.runtime().peer_id, 'peer id in the top bar');
  else check(/^[1-9A-HJ-NP-Za-km-z]{40,}$|^[0-9a-f]{40,}$/.test(id), `peer id looks like one: ${id}`);
  if (t.host) equal(id, t.host.peerId, 'peer id the host printed');
  await page.waitForFunction(() => Number(document.body.dataset.states) >= 2);
  // The first exchange is the 2020 one: HELLO alone, then the rest after its answer.
  if (mock) {
    const C = mock.codec.enumValues('ClientCommand.Command');
    const S = mock.codec.enumValues('ClientCommand.Source');
    const cmds = mock.log.commands.filter((c) => c.session === 1).slice(0, 4);
    equal(cmds.map((c) => `${c.command}/${c.source}`).join(' '),
      `${C.HELLO}/0 ${C.REQUEST}/${S.RUNTIME} ${C.PUSH_ENABLE}/${S.EVENTS} ${C.PUSH_ENABLE}/${S.STATE}`, 'opening commands');
    check(cmds[0].config && cmds[0].config.state_snapshot_interval_ms === 1000 && cmds[0].config.retention_period_ms === 120000, 'HELLO carries the config');
    for (let i = 1; i < cmds.length; i++) equal(cmds[i].id, cmds[i - 1].id + 1, 'command ids from one counter');
  }
  await t.shot('overview-dark');
  const dark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
  await page.emulateMedia({ colorScheme: 'light' });
  await page.waitForFunction((bg) => getComputedStyle(document.body).backgroundColor !== bg, dark);
  await nextFrame(page);
  await t.shot('overview-light');
});

test('connections table matches the state it shows; pause and resume', async (t) => {
  const { page } = t;
  const { mock, wire, wsUrl, token } = await open(t, { synthetic: { conns: 120, streamsPerConn: 3 } });
  await waitPhase(page, 'open');
  await showView(page, 'connections');
  const section = 'section[data-view="connections"]';
  await page.waitForFunction((s) => Number(document.querySelector(s).dataset.connRows) > 0, section);

  // Paused and settled, the table holds still: what is read below is one state.
  await pauseSettled(page, wire, section);
  const shownTs = Number(await page.getAttribute(section, 'data-ts'));
  const rows = Number(await page.getAttribute(section, 'data-conn-rows'));
  const domRows = await page.locator(`${section} .vt-body .vt-row:not([hidden])`).count();
  check(domRows < rows + 40 && domRows < 80, `only visible rows are in the DOM (${domRows} for ${rows})`);

  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#btn-export')]);
  const msgs = decodeRecording(fs.readFileSync(await download.path()));
  check(msgs[0].payload === 'runtime', 'an export starts with the runtime');
  const shown = msgs.find((m) => m.payload === 'state' && m.state.instant_ts === shownTs);
  check(shown, `the shown state (${shownTs}) is in the export`);
  equal(rows, shown.state.subsystems.connections.length, 'connection rows vs connections in the shown state');
  // The first rows are connections of that state (rows of connections that
  // vanished before it fade out as .gone rows, by design).
  const peers = new Set(shown.state.subsystems.connections.map((c) => c.peer_id));
  const firstPeers = await page.locator(`${section} .vt-body .vt-row:not([hidden]):not(.gone) .peer`).evaluateAll((els) => els.slice(0, 10).map((e) => e.dataset.peer));
  check(firstPeers.length > 0 && firstPeers.every((p) => peers.has(p)), 'rows show the state\'s peers');
  if (mock) {
    const sent = mock.log.sentStates.filter((s) => s.instant_ts === shownTs);
    check(sent.length && sent[0].conns === rows, 'the mock sent that state with that many connections');
  }

  // Streams expand under their connection; the filter narrows the rows.
  await page.click(`${section} .vt-body .vt-row:not([hidden]):not(.gone) .vt-cell[data-col="exp"]:text("▸")`);
  await page.waitForSelector(`${section} .vt-row.child`);
  await page.fill(`${section} .filter`, firstPeers[0]);
  await page.waitForFunction((s) => Number(document.querySelector(s).dataset.connRows) >= 1 && Number(document.querySelector(s).dataset.connRows) <= 3, section);
  await page.fill(`${section} .filter`, '');
  await page.waitForFunction(([s, n]) => Number(document.querySelector(s).dataset.connRows) === n, [section, rows]);

  // Paused: nothing new is shown while the host goes on.
  const hold = await holdWhilePaused(page, wsUrl, token, 'states shown while paused');
  await t.shot('connections-paused');

  await page.click('.tb-pause');
  await waitPhase(page, 'open');
  await page.waitForFunction(([s, ts]) => Number(document.querySelector(s).dataset.ts) > ts, [section, shownTs], { timeout: 15000 });
  await heldArrived(page, hold, 'after the resume');
  if (mock) {
    const C = mock.codec.enumValues('ClientCommand.Command');
    const kinds = mock.log.commands.map((c) => c.command);
    check(kinds.includes(C.PUSH_PAUSE) && kinds.indexOf(C.PUSH_RESUME) > kinds.indexOf(C.PUSH_PAUSE), 'PUSH_PAUSE then PUSH_RESUME sent');
  }
});

test('every view renders; selecting a peer highlights it everywhere', async (t) => {
  const { page } = t;
  const { mock, wire } = await open(t, { synthetic: { conns: 60 } });
  await waitPhase(page, 'open');
  await page.waitForFunction(() => Number(document.body.dataset.states) >= 3);
  for (const v of VIEWS) {
    await showView(page, v);
    await nextFrame(page);
    await t.shot(`view-${v}`);
  }
  if (mock) {
    // Synthetic data has every subsystem: no view may be empty.
    await showView(page, 'dht');
    check(Number(await page.getAttribute('.dht-grid', 'data-peers')) > 0, 'DHT grid has peers');
    await page.waitForFunction(() => Number(document.querySelector('.dht-grid').dataset.flashes || 0) > 0, null, { timeout: 15000 });
    for (const v of ['streams', 'pubsub', 'peerstore', 'resources', 'events']) {
      check(Number(await page.getAttribute(`section[data-view="${v}"] .vt`, 'data-rows')) > 0, `${v} has rows`);
    }
  }
  // Event columns follow the type's property metadata.
  await showView(page, 'events');
  const chip = page.locator('.etypes .chip[data-type]').first();
  await chip.waitFor();
  const type = await chip.getAttribute('data-type');
  await chip.click();
  const heads = await page.locator('section[data-view="events"] .vt-hrow .vt-cell').allTextContents();
  check(heads.length > 3 && heads[0] === 'Time' && heads[1] === 'Type', `typed columns for ${type}: ${heads.join(', ')}`);
  await t.shot('events-one-type');

  // A peer picked in the connections view shows in the drawer and stays
  // selected elsewhere. The table is held still for the pick (paused and
  // settled): live, new connections come first and the host closes others,
  // so the row read and the row clicked could differ.
  const section = 'section[data-view="connections"]';
  await showView(page, 'connections');
  await pauseSettled(page, wire, section);
  const id = await page.locator(`${section} .vt-body .vt-row:not([hidden]):not(.gone) .peer`).first().getAttribute('data-peer');
  await page.locator(`${section} .vt-body .vt-row:not([hidden]) .peer[data-peer="${id}"]`).first().click();
  await page.waitForSelector('#drawer:not([hidden])');
  equal((await page.textContent('#drawer .dr-id')).trim(), id, 'drawer shows the selected peer');
  const bg = await page.locator(`${section} .vt-row[data-peer="${id}"]`).first().evaluate((e) => getComputedStyle(e).backgroundColor);
  check(bg !== 'rgba(0, 0, 0, 0)', 'the selected peer\'s row is highlighted');
  await t.shot('peer-selected');
  // The selection outlives new states.
  const shownTs = Number(await page.getAttribute(section, 'data-ts'));
  await page.click('.tb-pause');
  await waitPhase(page, 'open');
  await page.waitForFunction(([s, ts]) => Number(document.querySelector(s).dataset.ts) > ts, [section, shownTs], { timeout: 15000 });
  await nextFrame(page);
  equal((await page.textContent('#drawer .dr-id')).trim(), id, 'drawer after newer states');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#drawer', { state: 'hidden' });
});

test('opens the observer-toolkit recordings through the file input', async (t) => {
  const { page } = t;
  await open(t, { synthetic: { conns: 10 } });
  for (const name of ['sample-1min.mock', 'sample-dht-2min.mock']) {
    const file = vector(name);
    const msgs = decodeRecording(fs.readFileSync(file));
    const states = msgs.filter((m) => m.payload === 'state');
    const events = msgs.filter((m) => m.payload === 'event');
    const runtime = msgs.find((m) => m.payload === 'runtime').runtime;
    await page.setInputFiles('#file-input', file);
    await waitPhase(page, 'file');
    await page.waitForFunction((n) => document.querySelector('#banner').textContent.includes(n), name);
    // The banner is written at once, the top bar and the time bar on the next frame.
    await waitText(page, '#node-peer-id', runtime.peer_id, `${name}: peer id`);
    await waitAttr(page, '#timebar', 'data-count', states.length, `${name}: states held`);
    const last = states[states.length - 1].state;
    await showView(page, 'connections');
    const section = 'section[data-view="connections"]';
    await page.waitForFunction(([s, ts]) => Number(document.querySelector(s).dataset.ts) === ts, [section, last.instant_ts]);
    equal(Number(await page.getAttribute(section, 'data-conn-rows')), last.subsystems.connections.length, `${name}: connections in the last state`);
    await showView(page, 'events');
    equal(Number(await page.getAttribute('section[data-view="events"] .vt', 'data-rows')), events.length, `${name}: events`);
    if (last.subsystems.dht) {
      await showView(page, 'dht');
      const n = last.subsystems.dht.buckets.reduce((a, b) => a + b.peers.length, 0);
      equal(Number(await page.getAttribute('.dht-grid', 'data-peers')), n, `${name}: DHT peers`);
      await t.shot(`recording-${name}-dht`);
    }
    // Scrub back with the keyboard: the views follow the time bar.
    await showView(page, 'connections');
    await page.locator('body').press('ArrowLeft');
    await page.locator('body').press('ArrowLeft');
    const prev = states[states.length - 3].state;
    await page.waitForFunction(([s, ts]) => Number(document.querySelector(s).dataset.ts) === ts, [section, prev.instant_ts]);
    equal(Number(await page.getAttribute(section, 'data-conn-rows')), prev.subsystems.connections.length, `${name}: connections two states back`);
    await t.shot(`recording-${name}-connections`);
  }
  // Something that is not a recording is refused without losing the session.
  await page.setInputFiles('#file-input', { name: 'junk.bin', mimeType: 'application/octet-stream', buffer: Buffer.from('not a recording at all') });
  await page.waitForSelector('.toast.error');
  await waitPhase(page, 'file');
  await page.click('#banner button');
  await waitPhase(page, 'open');
});

test('asks for a token when the endpoint requires one', async (t) => {
  const { page } = t;
  const token = 'k7Jq3xT0dHk2bVw9sZc1yRf8LmNp4QeA6uGiOa5BtXs';
  const { base, mock } = await open(t, { synthetic: { conns: 8 }, token });
  await waitPhase(page, 'auth');
  equal(mock.log.upgrades.length, 0, 'no WebSocket attempt without a token');
  await t.shot('token-prompt');
  await page.fill('#token-input', 'wrong-token');
  await page.press('#token-input', 'Enter');
  await page.waitForFunction(() => document.querySelector('#banner').textContent.includes('refused'));
  await waitPhase(page, 'auth');
  await page.fill('#token-input', token);
  await page.press('#token-input', 'Enter');
  await waitPhase(page, 'open');
  equal((await page.textContent('#node-peer-id')).trim(), mock.runtime().peer_id, 'connected with the token');

  // From the page address, in the query or the fragment; then gone from it.
  for (const where of ['?', '#']) {
    const p = await t.ctx.newPage();
    t.cleanup(() => p.close());
    await p.goto(`${base}/${where}token=${encodeURIComponent(token)}`);
    await p.waitForSelector('body[data-phase="open"]');
    check(!p.url().includes(token), `token removed from the address (${p.url()})`);
  }
  const last = mock.log.upgrades[mock.log.upgrades.length - 1];
  equal(last.status, 101, 'upgrade accepted');
}, { mockOnly: true });

test('reconnects with backoff, command ids keep counting', async (t) => {
  const { page } = t;
  // Chromium itself reports the refused upgrades on the console.
  t.allowConsole(/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/introspect' failed/);
  const { mock } = await open(t, { synthetic: { conns: 8 } });
  await waitPhase(page, 'open');
  const before = mock.log.commands.length;
  const lastId = mock.log.commands[before - 1].id;
  mock.dropAll(2);
  await waitPhase(page, 'retrying');
  await t.shot('reconnecting');
  await waitPhase(page, 'open', 30000);
  const hello = mock.log.commands.slice(before).find((c) => c.command === mock.codec.enumValues('ClientCommand.Command').HELLO);
  check(hello && hello.id > lastId, `HELLO after the reconnect continues the ids (${hello && hello.id} > ${lastId})`);
  check(mock.log.upgrades.filter((u) => u.status === 503).length === 2, 'two refused attempts before the reconnect');
}, { mockOnly: true });

test('says so when the data is not the 2020 format', async (t) => {
  const { page } = t;
  const { mock } = await open(t, { synthetic: { conns: 8 }, navigate: false });
  mock.corruptNext('version');
  await page.goto(mock.url);
  await waitPhase(page, 'incompatible');
  const text = await page.textContent('#banner');
  check(text.includes('protocol version 7'), `banner names the version: ${text}`);
  await t.shot('incompatible');
  await page.click('#banner button');
  await waitPhase(page, 'open');
  mock.corruptNext('checksum');
  await page.waitForFunction(() => document.body.dataset.phase === 'incompatible', null, { timeout: 15000 });
  check((await page.textContent('#banner')).includes('checksum'), 'banner names the checksum');
}, { mockOnly: true });

test('settings send UPDATE_CONFIG', async (t) => {
  const { page } = t;
  const { mock } = await open(t, { synthetic: { conns: 8 } });
  await waitPhase(page, 'open');
  await page.click('#btn-settings');
  await page.fill('#set-interval', '2');
  await page.fill('#set-retention', '60');
  await t.shot('settings');
  await page.click('dialog button[type="submit"]');
  await page.waitForSelector('.toast:not(.error)');
  await page.waitForFunction(() => document.querySelector('.tb-span').textContent.includes('retention 1m 00s'));
  if (mock) {
    const C = mock.codec.enumValues('ClientCommand.Command');
    const u = mock.log.commands.find((c) => c.command === C.UPDATE_CONFIG);
    check(u && u.config.state_snapshot_interval_ms === 2000 && u.config.retention_period_ms === 60000, 'UPDATE_CONFIG carries the values');
  }
  // The next page starts with the remembered settings.
  await page.reload();
  await waitPhase(page, 'open');
  if (mock) {
    const C = mock.codec.enumValues('ClientCommand.Command');
    const hellos = mock.log.commands.filter((c) => c.command === C.HELLO);
    equal(hellos[hellos.length - 1].config.state_snapshot_interval_ms, 2000, 'HELLO after reload');
  }
});

test('1,000 connections and 10,000 streams', async (t) => {
  const { page } = t;
  await open(t, { synthetic: { conns: 1000, streamsPerConn: 10 } });
  await waitPhase(page, 'open');
  await showView(page, 'connections');
  const section = 'section[data-view="connections"]';
  await page.waitForFunction((s) => Number(document.querySelector(s).dataset.connRows) >= 990, section, { timeout: 30000 });
  await page.waitForFunction(() => Number(document.body.dataset.states) >= 3, null, { timeout: 30000 });
  const stats = await page.evaluate(() => {
    const { store } = window.peerscope;
    const e = store.states[store.states.length - 1];
    const t0 = performance.now();
    const msg = store.codec.decode('ServerMessage', e.bytes);
    const t1 = performance.now();
    let streams = 0;
    for (const c of msg.state.subsystems.connections) streams += c.streams.streams.length;
    return { bytes: e.bytes.length, decodeMs: t1 - t0, streams };
  });
  t.info(`state of ${stats.bytes} bytes with ${stats.streams} streams decoded in ${stats.decodeMs.toFixed(1)} ms`);
  check(stats.streams >= 9000, 'about 10,000 streams');
  await page.click(`${section} .toolbar button:text("Expand all")`);
  await page.waitForFunction((s) => Number(document.querySelector(`${s} .vt`).dataset.rows) > 9000, section);
  const domRows = await page.locator(`${section} .vt-body .vt-row`).count();
  check(domRows < 100, `virtualised: ${domRows} row elements for ${await page.getAttribute(`${section} .vt`, 'data-rows')} rows`);
  // Scrolling to the end draws the last rows.
  await page.locator(`${section} .vt-scroll`).evaluate((el) => { el.scrollTop = el.scrollHeight; });
  await nextFrame(page); // the scroll event, which asks for a frame to draw in
  await nextFrame(page);
  await t.shot('large-connections');
  await showView(page, 'streams');
  await nextFrame(page);
  await t.shot('large-streams');
  // It keeps up with a state a second. Main-thread stalls are reported, not
  // asserted (timings on a shared machine would make a flaky test).
  const seen = Number(await page.getAttribute('#timebar', 'data-count'));
  const stalls = await page.evaluate(() => new Promise((resolve) => {
    const tasks = [];
    const po = new PerformanceObserver((l) => { for (const e of l.getEntries()) tasks.push(e.duration); });
    po.observe({ type: 'longtask' });
    setTimeout(() => { po.disconnect(); resolve(tasks); }, 4000);
  }));
  t.info(`long tasks over 4 s: ${stalls.length}, longest ${Math.round(Math.max(0, ...stalls))} ms`);
  await page.waitForFunction((n) => Number(document.querySelector('#timebar').dataset.count) > n, seen, { timeout: 10000 });
}, { mockOnly: true });

// The page (from the mock, which serves the same embedded assets) against
// the real C endpoint of the demo host, across origins as the 2020
// visualizer did: the session protocol, framing and schema for real.
test('talks to the real peerscope demo host', async (t) => {
  if (t.realBase) throw new Skip('runs its own demo host');
  const bin = demoBinary();
  if (!bin) throw new Skip('no built examples/demo/peerscope-demo (PSC_BUILD_ROOT or PSC_DEMO_BIN)');
  const { page } = t;
  const { mock, wire } = await open(t, { synthetic: { conns: 4 }, navigate: false });
  const demo = await startDemo(bin, ['--allow-origin', mock.url, '--seed', '3', '--conns', '40']);
  t.cleanup(demo.stop);
  await page.goto(`${mock.url}/?ws=${encodeURIComponent(demo.wsUrl)}`);
  await waitPhase(page, 'open');
  equal((await page.textContent('#node-peer-id', { timeout: 20000 })).trim(), demo.peerId, 'peer id of the demo');
  await page.waitForFunction(() => Number(document.body.dataset.states) >= 2, null, { timeout: 20000 });
  await showView(page, 'connections');
  const section = 'section[data-view="connections"]';
  await page.waitForFunction((s) => Number(document.querySelector(s).dataset.connRows) > 0, section);
  await pauseSettled(page, wire, section);
  const shownTs = Number(await page.getAttribute(section, 'data-ts'));
  const rows = Number(await page.getAttribute(section, 'data-conn-rows'));
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#btn-export')]);
  const msgs = decodeRecording(fs.readFileSync(await download.path()));
  const shown = msgs.find((m) => m.payload === 'state' && m.state.instant_ts === shownTs);
  check(shown, 'the shown state is in the export');
  equal(rows, shown.state.subsystems.connections.length, 'connection rows vs the demo\'s state');
  const held = Number(await page.getAttribute('#timebar', 'data-count'));
  const hold = await holdWhilePaused(page, demo.wsUrl, undefined, 'the demo holds states while paused');
  await page.click('.tb-pause');
  await waitPhase(page, 'open');
  await page.waitForFunction((n) => Number(document.querySelector('#timebar').dataset.count) > n, held, { timeout: 15000 });
  await heldArrived(page, hold, 'the demo after the resume');
  for (const v of VIEWS) {
    await showView(page, v);
    await nextFrame(page);
    await t.shot(`demo-${v}`);
  }
  await showView(page, 'events');
  await eventually(page, () => Number(document.querySelector('section[data-view="events"] .vt').dataset.rows) > 0, null, 'events from the demo');
  await showView(page, 'dht');
  await eventually(page, () => Number(document.querySelector('.dht-grid').dataset.peers) > 0, null, 'the demo\'s DHT');
  // Settings reach the real session (UPDATE_CONFIG answered with the effective values).
  await page.click('#btn-settings');
  await page.fill('#set-interval', '0.5');
  await page.fill('#set-retention', '30');
  await page.click('dialog button[type="submit"]');
  await page.waitForFunction(() => [...document.querySelectorAll('.toast')].some((x) => x.textContent.includes('Interval 0.5 s, retention 30 s')));
});

test('real demo host with an access token', async (t) => {
  if (t.realBase) throw new Skip('runs its own demo host');
  const bin = demoBinary();
  if (!bin) throw new Skip('no built examples/demo/peerscope-demo (PSC_BUILD_ROOT or PSC_DEMO_BIN)');
  const { page } = t;
  // Chromium reports each refused upgrade on the console itself.
  t.allowConsole(/WebSocket connection to 'ws:\/\/127\.0\.0\.1:\d+\/introspect(\?token=[^']*)?' failed/);
  const { mock } = await open(t, { synthetic: { conns: 4 }, navigate: false });
  const token = 'demo-token-0123456789abcdef';
  const demo = await startDemo(bin, ['--allow-origin', mock.url, '--seed', '5', '--conns', '12', '--token', token]);
  t.cleanup(demo.stop);
  // The demo prints its WebSocket URL with the token: take it off. Without
  // the token the endpoint refuses; the page offers to take one.
  const bare = demo.wsUrl.replace(/\?.*$/, '');
  await page.goto(`${mock.url}/?ws=${encodeURIComponent(bare)}`);
  await waitPhase(page, 'retrying');
  await page.click('#banner button:text("Use a token…")');
  await waitPhase(page, 'auth');
  await page.fill('#token-input', token);
  await page.press('#token-input', 'Enter');
  await waitPhase(page, 'open');
  equal((await page.textContent('#node-peer-id', { timeout: 20000 })).trim(), demo.peerId, 'connected with the token');
});
