// Fleet mode against the mock endpoint standing in for peerscope-hub
// (mock-server.mjs with fleet, lib/fleet-feed.mjs): the table of 20 nodes,
// its sorting (stable, every column, the milestone columns), the event
// timeline of every node filtered by node and type, a click that opens a
// node's page through the hub (token kept, back returns), and 100 nodes
// with a few hundred events a second. PSC_UPDATE_DOCS=1 also writes
// docs/visualizer-fleet.png.

import fs from 'node:fs';
import path from 'node:path';
import { test, check, equal, Failure } from './lib/harness.mjs';
import { sourceRoot } from './lib/paths.mjs';
import { fleetRowPlan } from './lib/fleet-feed.mjs';
import { startMockServer } from './mock-server.mjs';

const TALL = { width: 1600, height: 1500 }; // every one of 20 rows in view

async function eventually(page, fn, arg, what) {
  await page.waitForFunction(fn, arg, { timeout: 25000 }).catch(() => { throw new Failure(`${what}: not within 25 s`); });
}

async function openFleet(t, fleetOpts, extra = {}) {
  const mock = await startMockServer({ fleet: fleetOpts, ...extra });
  t.cleanup(() => mock.close());
  await t.page.setViewportSize(TALL);
  await t.page.goto(`${mock.url}/${extra.token ? `?token=${extra.token}` : ''}`);
  await eventually(t.page, (n) => document.body.dataset.mode === 'fleet' && document.querySelector('.view-fleet')?.dataset.nodes === String(n),
    fleetOpts.nodes, 'fleet mode with every node');
  return mock;
}

const order = (page) => page.getAttribute('.view-fleet', 'data-order').then((s) => s.split(' '));
const cell = (page, node, col) => page.textContent(`.fleet-nodes .vt-row[data-key="${node}"] .vt-cell[data-col="${col}"]`).then((s) => s.trim());
const clickHead = (page, col) => page.click(`.fleet-nodes .vt-hrow .vt-cell[data-col="${col}"]`);

/** The names in hub order, sorted by key (dir 1 or -1), ties in hub order: what a stable sort gives. */
function expectOrder(n, key, dir) {
  const rows = Array.from({ length: n }, (_, i) => ({ i, ...fleetRowPlan(i, n) }));
  rows.sort((a, b) => { const x = key(a); const y = key(b); return x < y ? -dir : x > y ? dir : a.i - b.i; });
  return rows.map((r) => r.name);
}

test('fleet: one row per node, every column, milestone columns side by side', async (t) => {
  const { page } = t;
  const mock = await openFleet(t, { nodes: 20 });
  const table = mock.fleet();
  equal(await page.locator('.fleet-nodes .vt-body .vt-row:not([hidden])').count(), 20, 'rows drawn');
  equal(await page.getAttribute('.view-fleet', 'data-up'), '19', 'nodes up');
  const heads = (await page.locator('.fleet-nodes .vt-hrow .vt-cell').allTextContents()).map((s) => s.trim());
  for (const h of ['Node', 'Status', 'Peer id', 'Implementation', 'Peers', 'Conns', 'Streams', 'In', 'Out', 'Alerts', 'first peer', '8 peers', 'sync completed', 'Last seq', 'Dropped', 'Reconnects']) {
    check(heads.includes(h), `column ${h} in ${JSON.stringify(heads)}`);
  }
  // the three durations sit side by side, between the alerts and the counters
  const ai = heads.indexOf('Alerts');
  equal(heads.slice(ai + 1, ai + 4).join(','), 'first peer,8 peers,sync completed', 'milestone columns');
  for (const i of [0, 1, 2, 4, 19]) {
    const plan = fleetRowPlan(i, 20);
    const row = table.nodes[i];
    equal(await cell(page, plan.name, 'status'), plan.up ? 'up' : 'down', `${plan.name} status`);
    const peer = page.locator(`.fleet-nodes .vt-row[data-key="${plan.name}"] .vt-cell[data-col="peer"]`);
    equal(await peer.getAttribute('title'), row.peer_id, `${plan.name}: the full peer id in the title`);
    check(row.peer_id.endsWith((await peer.textContent()).slice(-6)), `${plan.name}: short peer id`);
    equal(await cell(page, plan.name, 'impl'), 'peerscope-synthetic 0.1.0', `${plan.name} implementation`);
    equal(await cell(page, plan.name, 'alerts'), `${plan.alerts_critical}${plan.alerts_warning}${plan.alerts_info}`, `${plan.name} alerts`);
    equal(await cell(page, plan.name, 'dropped'), String(plan.dropped), `${plan.name} dropped`);
    equal(await cell(page, plan.name, 'reconnects'), String(plan.reconnects), `${plan.name} reconnects`);
    equal(await cell(page, plan.name, 'ms:first_peer'), `${100 + 10 * i}ms`, `${plan.name} first peer`);
    equal(await cell(page, plan.name, 'ms:peers_8'), i % 2 === 0 ? `${((2000 + 100 * i) / 1000).toFixed(2)}s` : '', `${plan.name} 8 peers (blank when missing)`);
  }
  equal(await cell(page, 'node-20', 'error'), 'connection refused', 'the down node says why');
  check(await page.locator('.fleet-nodes .vt-row.down[data-key="node-20"]').count() === 1, 'the down row is marked');
  await t.shot('fleet-table');
});

test('fleet: a click on a header sorts (stable), again reverses', async (t) => {
  const { page } = t;
  await openFleet(t, { nodes: 20 });
  const n = 20;
  equal((await order(page)).join(' '), expectOrder(n, (r) => r.name, 1).join(' '), 'by name at first');
  await clickHead(page, 'alerts');
  const alertKey = (r) => r.alerts_critical * 1e12 + r.alerts_warning * 1e6 + r.alerts_info;
  await eventually(page, (want) => document.querySelector('.view-fleet').dataset.order === want, expectOrder(n, alertKey, -1).join(' '), 'by alerts, most first');
  await clickHead(page, 'alerts');
  await eventually(page, (want) => document.querySelector('.view-fleet').dataset.order === want, expectOrder(n, alertKey, 1).join(' '), 'by alerts, reversed');
  // ties keep the hub's order: four values over twenty nodes
  await clickHead(page, 'reconnects');
  await eventually(page, (want) => document.querySelector('.view-fleet').dataset.order === want, expectOrder(n, (r) => r.reconnects, -1).join(' '), 'by reconnects, stable');
  // a milestone column: the nodes that reached it by duration, then the others
  await clickHead(page, 'ms:sync_completed');
  const syncKey = (r) => { const m = r.milestones.find((x) => x.name === 'sync_completed'); return m ? m.duration_ms : Infinity; };
  await eventually(page, (want) => document.querySelector('.view-fleet').dataset.order === want, expectOrder(n, syncKey, 1).join(' '), 'by sync duration');
  await clickHead(page, 'status');
  await eventually(page, () => document.querySelector('.view-fleet').dataset.order.split(' ')[19] === 'node-20', null, 'by status: the down node last');
  await clickHead(page, 'name');
  await clickHead(page, 'name');
  await eventually(page, (want) => document.querySelector('.view-fleet').dataset.order === want, expectOrder(n, (r) => r.name, -1).join(' '), 'by name, reversed');
  // the rows drawn follow the order
  const firstRow = await page.locator('.fleet-nodes .vt-body .vt-row:not([hidden])').evaluateAll((els) => els.sort((a, b) => a.idx - b.idx)[0].dataset.key);
  equal(firstRow, 'node-20', 'first row drawn');
  // the filter keeps the order it filters
  await page.fill('.view-fleet .fleet-top .filter', 'node-1');
  await eventually(page, () => document.querySelector('.view-fleet').dataset.order === 'node-19 node-18 node-17 node-16 node-15 node-14 node-13 node-12 node-11 node-10', null, 'filtered by name');
  await page.fill('.view-fleet .fleet-top .filter', 'refused');
  await eventually(page, () => document.querySelector('.view-fleet').dataset.order === 'node-20', null, 'filtered by error');
});

test('fleet: the events of every node, newest first, filtered by node and by type', async (t) => {
  const { page } = t;
  await openFleet(t, { nodes: 20, eventRate: 4 });
  // events from several nodes (the down one sends none)
  await eventually(page, () => window.peerscope.fleet.nodeNames.size >= 20 && new Set(window.peerscope.fleet.events.map((e) => e.node)).size >= 5, null, 'events of five nodes');
  const seen = await page.evaluate(() => [...new Set(window.peerscope.fleet.events.map((e) => e.node))]);
  check(!seen.includes('node-20') && seen.every((x) => /^node-\d\d$/.test(x)), `event nodes: ${seen}`);
  const drawn = (col) => page.locator('.fleet-events .vt-body .vt-row:not([hidden])').evaluateAll((els, c) => els.sort((a, b) => a.idx - b.idx)
    .map((el) => ({ v: el.querySelector(`.vt-cell[data-col="${c}"]`).textContent, idx: el.idx })), col);
  await eventually(page, () => Number(document.querySelector('.view-fleet').dataset.events) > 10, null, 'events drawn');
  const times = await page.evaluate(() => window.peerscope.fleet.filtered('', '', []).slice(0, 50).map((e) => e.ts));
  check(times.every((ts, k) => k === 0 || times[k - 1] >= ts), 'newest first');

  await page.selectOption('.fleet-ev-node', 'node-03');
  await eventually(page, () => {
    const rows = [...document.querySelectorAll('.fleet-events .vt-body .vt-row:not([hidden]) .vt-cell[data-col="node"]')];
    return rows.length > 0 && rows.every((c) => c.textContent === 'node-03');
  }, null, 'only node-03');
  const types = await page.locator('.fleet-ev-type option').allTextContents();
  check(types.includes('FleetTick'), `types offered: ${types}`);
  await page.selectOption('.fleet-ev-type', 'FleetTick');
  await eventually(page, () => {
    const rows = [...document.querySelectorAll('.fleet-events .vt-body .vt-row:not([hidden])')];
    return rows.length > 0 && rows.every((r) => r.querySelector('[data-col="node"]').textContent === 'node-03' && r.querySelector('[data-col="type"]').textContent === 'FleetTick');
  }, null, 'only FleetTick of node-03');
  const held = await page.evaluate(() => ({ shown: Number(document.querySelector('.view-fleet').dataset.events), want: window.peerscope.fleet.filtered('node-03', 'FleetTick', []).length }));
  check(Math.abs(held.shown - held.want) <= 20, `rows of the filter: ${JSON.stringify(held)}`); // more arrive meanwhile
  await page.selectOption('.fleet-ev-node', '');
  await eventually(page, () => new Set([...document.querySelectorAll('.fleet-events .vt-body .vt-row:not([hidden]) .vt-cell[data-col="node"]')].map((c) => c.textContent)).size >= 3, null, 'every node again');
  const rows = await drawn('type');
  check(rows.every((r) => r.v === 'FleetTick'), 'the type filter stays');
  if (process.env.PSC_UPDATE_DOCS) {
    await page.selectOption('.fleet-ev-type', '');
    await page.setViewportSize({ width: 1440, height: 900 });
    await eventually(page, () => new Set([...document.querySelectorAll('.fleet-events .vt-body .vt-row:not([hidden]) .vt-cell[data-col="type"]')].map((c) => c.textContent)).size >= 2, null, 'every type again');
    await t.shot('visualizer-fleet');
    fs.copyFileSync(path.join(t.artifacts, 'visualizer-fleet.png'), path.join(sourceRoot, 'docs', 'visualizer-fleet.png'));
  }
});

test('fleet: a click on a node opens its page through the hub, with the token; back returns', async (t) => {
  const { page } = t;
  const mock = await openFleet(t, { nodes: 20 }, { token: 's3cret' });
  const want = mock.fleet().nodes[4];
  await page.click('.fleet-nodes .vt-row[data-key="node-05"] .vt-cell[data-col="name"]');
  await page.waitForURL((u) => u.pathname === '/node/node-05/', { timeout: 20000 });
  await eventually(page, (id) => document.querySelector('#node-peer-id')?.textContent === id, want.peer_id, "the node page shows that node's peer id");
  check(await page.evaluate(() => document.body.dataset.mode !== 'fleet'), 'the node page is not in fleet mode');
  const up = mock.log.upgrades.filter((u) => u.path === '/node/node-05/introspect');
  check(up.length >= 1 && up.every((u) => u.status === 101), `node socket upgrades: ${JSON.stringify(up)}`);
  check(!mock.log.upgrades.some((u) => u.status === 401), 'no upgrade refused for the token');
  await page.waitForSelector('section[data-view="overview"]:not([hidden])');
  await t.shot('fleet-node-page');
  await page.goBack();
  await page.waitForURL((u) => u.pathname === '/', { timeout: 20000 });
  await eventually(page, () => document.body.dataset.mode === 'fleet' && document.querySelector('.view-fleet')?.dataset.nodes === '20', null, 'back in fleet mode');
});

test('fleet: 100 nodes and a few hundred events a second', async (t) => {
  const { page } = t;
  await page.setViewportSize({ width: 1440, height: 900 });
  const mock = await startMockServer({ fleet: { nodes: 100, eventRate: 3 } });
  t.cleanup(() => mock.close());
  await page.addInitScript(() => {
    window.longTasks = [];
    new PerformanceObserver((l) => { for (const e of l.getEntries()) window.longTasks.push(e.duration); }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(`${mock.url}/`);
  await eventually(page, () => document.querySelector('.view-fleet')?.dataset.nodes === '100', null, '100 nodes');
  const at = await page.evaluate(() => ({ fleets: window.peerscope.fleet.fleets, events: window.peerscope.fleet.eventsSeen }));
  await eventually(page, (a) => window.peerscope.fleet.fleets >= a.fleets + 5, at, 'five more tables');
  const after = await page.evaluate(() => ({
    fleets: window.peerscope.fleet.fleets,
    events: window.peerscope.fleet.eventsSeen,
    held: window.peerscope.fleet.events.length,
    rowEls: document.querySelectorAll('.fleet-nodes .vt-body .vt-row').length,
    evEls: document.querySelectorAll('.fleet-events .vt-body .vt-row').length,
    long: window.longTasks.filter((d) => d > 100).length,
  }));
  check(after.events - at.events > 500, `events arrived: ${after.events - at.events}`);
  check(after.rowEls < 100, `node rows in the DOM are virtualised: ${after.rowEls}`);
  check(after.evEls < 200, `event rows in the DOM are virtualised: ${after.evEls}`);
  check(after.held <= 5000 * 1.25, `events held are bounded: ${after.held}`);
  t.info(`${after.events - at.events} events over ${after.fleets - at.fleets} tables; ${after.long} long tasks over 100 ms`);
});
