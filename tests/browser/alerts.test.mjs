// Alerts and durations in the visualizer: the count in the top bar, the
// alerts view, an alert's subject opened highlighted in its own view, the
// overview's durations; and none of it for a 2020 endpoint. Against the
// mock endpoint, whose states carry alerts taken from themselves
// (lib/alerts-feed.mjs).

import { test, check, equal, Failure } from './lib/harness.mjs';
import { vector, webModule } from './lib/paths.mjs';
import { nextFrame, pauseSettled, watchPage } from './lib/pagewire.mjs';
import { MILESTONES } from './lib/alerts-feed.mjs';
import { startMockServer } from './mock-server.mjs';

const { buildRecording } = await webModule('wire.js');

async function openMock(t, opts) {
  const mock = await startMockServer(opts);
  t.cleanup(() => mock.close());
  const wire = watchPage(t.page);
  await t.page.goto(`${mock.url}/`);
  await t.page.waitForSelector('body[data-phase="open"]', { timeout: 20000 });
  return { mock, wire };
}

async function showView(page, id) {
  await page.click(`.tab[data-view="${id}"]`);
  await page.waitForSelector(`section[data-view="${id}"]:not([hidden])`);
}

async function eventually(page, fn, arg, what) {
  await page.waitForFunction(fn, arg, { timeout: 20000 }).catch(() => { throw new Failure(`${what}: not within 20 s`); });
}

/** The alerts of the state the page shows, as the mock sent them (decoded by the page). */
function shownAlerts(page) {
  return page.evaluate(() => window.peerscope.store.current().state.alerts.map((a) => ({
    rule: a.rule, severity: a.severity, subject: a.subject, kind: a.subject_kind,
  })));
}

// subject kind -> [view, selector of the subject's element there]
const WHERE = {
  peer: ['connections', (s) => `.vt-row[data-peer="${s}"]`],
  topic: ['pubsub', (s) => `.vt-row[data-key="${s}"]`],
  bucket: ['dht', (s) => `.dht-row[data-cpl="${s}"]`],
  scope: ['resources', (s) => `.vt-row[data-key$=":${s}"]`],
  protocol: ['streams', (s) => `.vt-row[data-key="${s}"]`],
};

test('alerts: the count in the top bar, the alerts view, durations in the overview', async (t) => {
  const { page } = t;
  await openMock(t, { synthetic: { conns: 30 }, alerts: true });
  await page.waitForSelector('#alert-banner:not([hidden])', { timeout: 20000 });
  await page.waitForFunction(() => Number(document.body.dataset.states) >= 2);
  const alerts = await shownAlerts(page);
  equal(alerts.length, 5, 'alerts in the shown state');
  const bySev = [0, 0, 0];
  for (const a of alerts) bySev[a.severity]++;
  await eventually(page, (n) => document.querySelector('#alert-banner').dataset.count === String(n), alerts.length, 'banner count');
  equal(await page.getAttribute('#alert-banner', 'data-critical'), String(bySev[2]), 'critical in the banner');
  equal(await page.getAttribute('#alert-banner', 'data-warning'), String(bySev[1]), 'warning in the banner');
  equal(await page.getAttribute('#alert-banner', 'data-info'), String(bySev[0]), 'info in the banner');
  equal(await page.getAttribute('#alert-banner', 'data-worst'), 'critical', 'the banner shows the worst severity');
  const text = (await page.textContent('#alert-banner')).replace(/\s+/g, ' ');
  check(text.includes('5 alerts') && text.includes('1 critical') && text.includes('3 warning') && text.includes('1 info'), `banner text: ${text}`);
  equal((await page.textContent('.tab[data-view="alerts"] .badge')).trim(), '5', 'alerts tab badge');

  // The overview's durations: one row per milestone, as long as the host says.
  await page.waitForSelector('section[data-view="overview"] .c-durations');
  equal(await page.getAttribute('.c-durations .durations', 'data-rows'), String(MILESTONES.length), 'durations rows');
  const dur = (name) => page.textContent(`.c-durations tr[data-milestone="${name}"] .ms-dur`).then((s) => s.trim());
  equal(await dur('first_peer'), '850ms', 'time to first peer');
  equal(await dur('peers_8'), '2.43s', 'time to 8 peers');
  equal(await dur('sync_completed'), '8.48s', 'sync took (from its start)');
  const syncRow = (await page.textContent('.c-durations tr[data-milestone="sync_completed"]')).replace(/\s+/g, ' ');
  check(syncRow.includes('sync completed') && syncRow.includes('after sync started'), `sync row: ${syncRow}`);
  await t.shot('alerts-overview');

  // The banner opens the alerts view: the firing alerts, the worst first,
  // and the alert events (the mock's five firing, one fired and resolved).
  await page.click('#alert-banner');
  await page.waitForSelector('section[data-view="alerts"]:not([hidden])');
  await eventually(page, () => document.querySelector('.alerts-active').dataset.rows === '5', null, 'active alert rows');
  const rows = await page.locator('.alerts-active tbody tr').evaluateAll((trs) => trs.map((r) => ({ sev: r.dataset.severity, rule: r.dataset.rule, subject: r.dataset.subject })));
  equal(rows[0].sev, 'critical', 'the worst alert first');
  const want = alerts.map((a) => `${a.rule} ${a.subject}`).sort().join('\n');
  equal(rows.map((r) => `${r.rule} ${r.subject}`).sort().join('\n'), want, 'rows are the state\'s alerts');
  await eventually(page, () => document.querySelector('.alerts-history').dataset.rows === '7', null, 'alert event rows');
  check(await page.locator('.alerts-history tr.ev-resolved[data-rule="too-few-peers"]').count() === 1, 'the resolved alert is in the history');
  check(await page.locator('.alerts-history tr.ev-firing[data-rule="too-few-peers"]').count() === 1, 'and its firing');
  const valueCell = (await page.locator('.alerts-active tr[data-rule="slow-peer"] td').nth(3).textContent()).trim();
  equal(valueCell, '912.5', 'value of the slow-peer alert');
  await t.shot('visualizer-alerts');
});

test('alerts: a subject opens its view with it highlighted', async (t) => {
  const { page } = t;
  const { wire } = await openMock(t, { synthetic: { conns: 30 }, alerts: true });
  await page.waitForSelector('#alert-banner:not([hidden])', { timeout: 20000 });
  // Held still: the subjects are those of the shown state.
  await pauseSettled(page, wire);
  const alerts = await shownAlerts(page);
  for (const kind of Object.keys(WHERE)) {
    const a = alerts.find((x) => x.kind === kind);
    check(a, `an alert about a ${kind}`);
    const [view, sel] = WHERE[kind];
    await showView(page, 'alerts');
    await page.click(`.alerts-active button.alert-subject[data-kind="${kind}"]`);
    await page.waitForSelector(`section[data-view="${view}"]:not([hidden])`);
    equal(await page.getAttribute('body', 'data-focus'), `${kind}:${a.subject}`, `${kind}: focus`);
    const target = `section[data-view="${view}"] ${sel(a.subject)}`;
    await eventually(page, (s) => {
      const e = document.querySelector(s);
      return !!e && getComputedStyle(e).boxShadow.includes('inset');
    }, target, `${kind} ${a.subject} highlighted in ${view}`);
    // Only the subject is marked.
    const marked = await page.locator(`section[data-view="${view}"] .vt-row:not([hidden]), section[data-view="${view}"] .dht-row`)
      .evaluateAll((els) => els.filter((e) => getComputedStyle(e).boxShadow.includes('inset')).length);
    check(marked >= 1, `${kind}: something marked`);
    if (kind !== 'peer') equal(marked, 1, `${kind}: one row marked`);
    if (kind === 'peer') equal(await page.getAttribute(`${target}`, 'data-peer'), a.subject, 'the peer row');
    await nextFrame(page);
    await t.shot(`alerts-subject-${kind}`);
  }
  // The peer is also the selected peer (shown in the drawer).
  const peer = alerts.find((x) => x.kind === 'peer').subject;
  equal((await page.textContent('#drawer .dr-id')).trim(), peer, 'the alert\'s peer is selected');
  await page.keyboard.press('Escape');
  await eventually(page, () => !document.body.dataset.focus, null, 'Escape clears the highlight');
});

test('alerts: a 2020 endpoint without alerts or milestones shows none of it', async (t) => {
  const { page } = t;
  await openMock(t, { recording: vector('sample-1min.mock') });
  await page.waitForFunction(() => Number(document.body.dataset.states) >= 3);
  await nextFrame(page);
  check(await page.locator('#alert-banner').isHidden(), 'no alert banner');
  equal((await page.textContent('.tab[data-view="alerts"] .badge')).trim(), '', 'no alerts badge');
  check(await page.locator('section[data-view="overview"] .tile').count() > 0, 'the overview is drawn');
  equal(await page.locator('.c-durations').count(), 0, 'no durations card');
  await showView(page, 'alerts');
  await nextFrame(page);
  check(await page.locator('section[data-view="alerts"] .empty-state').isVisible(), 'the alerts view says there are none');
  check(await page.locator('.alerts-body').isHidden(), 'no alert tables');
});


test('alerts: the count and the view follow the state the time bar shows', async (t) => {
  const { page } = t;
  const { mock } = await openMock(t, { synthetic: { conns: 4 } });
  // A recording of a host whose alerts change: none, then a critical one,
  // then two lesser ones (the critical one resolved).
  const T = 1700000000000;
  const a = (rule, severity, subject) => ({ rule, kind: rule, severity, subject, subject_kind: 'topic', value: 1, threshold: 2, since_ts: T, firing_ts: T });
  const msgs = [
    { runtime: { peer_id: '12D3KooWRecordedHost', implementation: 'recorded' } },
    { state: { seq: 1, instant_ts: T + 1000, start_ts: T } },
    { state: { seq: 2, instant_ts: T + 2000, start_ts: T, alerts: [a('mesh-low', 2, 'blocks')] } },
    { state: { seq: 3, instant_ts: T + 3000, start_ts: T, alerts: [a('mesh-high', 1, 'chat'), a('idle', 0, 'sync')] } },
  ].map((m) => mock.codec.encode('ServerMessage', { version: { version: 1 }, ...m }));
  await page.setInputFiles('#file-input', { name: 'alerting.rec', mimeType: 'application/octet-stream', buffer: Buffer.from(buildRecording(msgs)) });
  await page.waitForSelector('body[data-phase="file"]');
  const banner = (want, what) => eventually(page, (w) => {
    const b = document.querySelector('#alert-banner');
    return `${b.hidden ? 'hidden' : b.dataset.count}/${b.dataset.worst}` === w;
  }, want, what);
  // A file opens on its last state.
  await banner('2/warning', 'last state: two alerts, the worst a warning');
  await showView(page, 'alerts');
  await eventually(page, () => document.querySelector('.alerts-active').dataset.rows === '2', null, 'two rows at the last state');
  await page.locator('body').press('ArrowLeft');
  await banner('1/critical', 'one state back: the critical alert');
  await eventually(page, () => document.querySelector('.alerts-active tbody tr').dataset.rule === 'mesh-low', null, 'its row');
  await page.locator('body').press('ArrowLeft');
  await banner('hidden/info', 'the first state: none');
  await eventually(page, () => !document.querySelector('section[data-view="alerts"] .empty-state').hidden, null, 'the view says none');
});
