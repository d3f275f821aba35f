// The page as the real demo host serves it (run by served.mjs, which starts
// the demo and passes it as t.host; visualizer.test.mjs then runs against
// the same page): where every byte of the page comes from, and the token
// flow against a token-protected demo.

import fs from 'node:fs';
import path from 'node:path';
import { test, check, equal, Failure, Skip } from './lib/harness.mjs';
import { demoBinary, startDemo } from './lib/demo.mjs';
import { openSession, request, ServerMessage, State } from './lib/introspect.mjs';
import { webDir } from './lib/paths.mjs';

async function waitPhase(page, phase, timeout = 20000) {
  await page.waitForSelector(`body[data-phase="${phase}"]`, { timeout });
}

async function fetchOk(url, headers = {}) {
  const res = await fetch(url, { headers });
  equal(res.status, 200, `GET ${url}`);
  return res;
}

test('the demo host serves the page itself, which shows that host', async (t) => {
  if (!t.host) throw new Skip('needs the demo host that served.mjs starts');
  const { page, host } = t;
  const origin = new URL(t.realBase).origin;
  const responses = [];
  const sockets = [];
  page.on('response', (r) => responses.push({ url: r.url(), status: r.status() }));
  page.on('websocket', (w) => sockets.push(w.url()));
  await page.goto(`${t.realBase}/`);
  await waitPhase(page, 'open');
  equal((await page.textContent('#node-peer-id')).trim(), host.peerId, 'peer id the demo printed');
  await page.waitForFunction(() => Number(document.body.dataset.states) >= 1, null, { timeout: 20000 });

  // Everything the page loaded came from the endpoint, and came whole.
  const paths = new Set();
  for (const r of responses) {
    const u = new URL(r.url);
    equal(u.origin, origin, `origin of ${r.url}`);
    check(r.status === 200 || r.status === 304, `${r.url} answered ${r.status}`);
    paths.add(u.pathname);
  }
  for (const p of ['/', '/style.css', '/js/main.js', '/js/schema.js', '/js/codec.js', '/js/pbwire.js', '/healthz']) {
    check(paths.has(p), `the page loaded ${p} (it loaded ${[...paths].sort().join(', ')})`);
  }
  equal(sockets.length, 1, 'WebSockets the page opened');
  equal(sockets[0], host.wsUrl, 'the page\'s WebSocket goes to the endpoint that served it');

  // The bytes are the library's embedded copy of web/src, with the endpoint's headers.
  const index = await fetchOk(`${t.realBase}/`);
  equal(await index.text(), fs.readFileSync(path.join(webDir, 'src', 'index.html'), 'utf8'), 'served index.html');
  check((index.headers.get('content-security-policy') || '').includes("script-src 'self'"), 'CSP on the page');
  check(/^"[^"]+"$/.test(index.headers.get('etag') || ''), 'a strong ETag');
  const main = await fetchOk(`${t.realBase}/js/main.js`);
  equal(await main.text(), fs.readFileSync(path.join(webDir, 'src', 'js', 'main.js'), 'utf8'), 'served js/main.js');
  equal((await fetchOk(`${t.realBase}/peerscope.proto`)).status, 200, 'schema');
  const notModified = await fetch(`${t.realBase}/`, { headers: { 'If-None-Match': index.headers.get('etag') } });
  equal(notModified.status, 304, 'revalidation of the page');

  // An independent client of the same endpoint sees the same host.
  const [runtime, state] = await request(host.wsUrl, ['RUNTIME', 'STATE']);
  equal(runtime.runtime.peer_id, host.peerId, 'Runtime.peer_id from Node');
  check(state.state.subsystems.connections.length > 0, 'the demo\'s State has connections');
  await t.shot('served-overview');
});

test('the served page asks a token-protected demo for its token at once', async (t) => {
  const bin = demoBinary();
  if (!bin) throw new Skip('no built examples/demo/peerscope-demo (PSC_BUILD_ROOT or PSC_DEMO_BIN)');
  const { page } = t;
  const token = 'served-token-0123456789abcdef';
  const demo = await startDemo(bin, ['--seed', '11', '--conns', '12', '--token', token]);
  t.cleanup(demo.stop);
  const base = demo.httpUrl.replace(/\/+$/, '');
  const bare = demo.wsUrl.replace(/\?.*$/, '');

  // What the page asks first, and what a client without the token gets.
  const health = await (await fetchOk(`${base}/healthz`)).json();
  equal(health.token_required, true, '/healthz token_required');
  equal(health.authorized, false, '/healthz authorized without the token');
  const healthWith = await (await fetchOk(`${base}/healthz`, { Authorization: `Bearer ${token}` })).json();
  equal(healthWith.authorized, true, '/healthz authorized with the token');
  const refused = await request(bare, ['RUNTIME']).then(() => null, (e) => e);
  check(refused && /401/.test(refused.message), `a WebSocket without the token is refused (${refused && refused.message})`);

  const sockets = [];
  page.on('websocket', (w) => sockets.push(w.url()));
  await page.goto(`${base}/`);
  await waitPhase(page, 'auth');
  equal(sockets.length, 0, 'no WebSocket attempt before a token');
  check((await page.textContent('#banner')).includes('requires an access token'), 'the prompt says why');
  await t.shot('served-token-prompt');

  // A wrong token is caught by /healthz: still no refused upgrade.
  await page.fill('#token-input', 'wrong-token-but-long-enough');
  await page.press('#token-input', 'Enter');
  await page.waitForFunction(() => document.querySelector('#banner').textContent.includes('refused this token'));
  await waitPhase(page, 'auth');
  equal(sockets.length, 0, 'no WebSocket attempt with a wrong token');

  await page.fill('#token-input', token);
  await page.press('#token-input', 'Enter');
  await waitPhase(page, 'open');
  equal((await page.textContent('#node-peer-id', { timeout: 20000 })).trim(), demo.peerId, 'connected with the token');
  equal(sockets.length, 1, 'one WebSocket, with the token');
  const socket = new URL(sockets[0]);
  equal(socket.searchParams.get('token'), token, 'token in the WebSocket URL');
  socket.search = '';
  equal(socket.href, bare, 'to the demo');
  await page.waitForFunction(() => Number(document.body.dataset.states) >= 1, null, { timeout: 20000 });
  await t.shot('served-token-connected');

  // The address the demo prints, if it carries the token, connects at once
  // and the token leaves the address bar.
  if (demo.pageUrl.includes(token)) {
    const p = await t.ctx.newPage();
    t.cleanup(() => p.close());
    await p.goto(demo.pageUrl);
    await waitPhase(p, 'open');
    check(!p.url().includes(token), `token removed from the address (${p.url()})`);
    equal((await p.textContent('#node-peer-id', { timeout: 20000 })).trim(), demo.peerId, 'connected from the printed address');
  }
});

test('the served page takes delta states and rebuilds the host\'s full states', async (t) => {
  const bin = demoBinary();
  if (!bin) throw new Skip('no built examples/demo/peerscope-demo (PSC_BUILD_ROOT or PSC_DEMO_BIN)');
  const { page } = t;
  // A demo of its own that closes a connection every half second (and opens
  // another): the deltas carry removed, added and changed connections.
  const demo = await startDemo(bin, ['--seed', '13', '--conns', '40', '--churn', '120']);
  t.cleanup(demo.stop);
  await page.goto(demo.httpUrl);
  await waitPhase(page, 'open');
  const [runtime] = await request(demo.wsUrl, ['RUNTIME']);
  check(runtime.runtime.capabilities.includes('delta_states'), `the demo offers delta states (${runtime.runtime.capabilities.join(', ')})`);
  await page.waitForFunction(() => window.peerscope.stats.deltasApplied >= 1, null, { timeout: 30000 });

  // The oracle: a session of its own that takes full states only, at the
  // page's interval. Each session keeps its own cadence, so the two would
  // only share a snapshot by chance. A host that stalls for more than two
  // intervals does not catch up: on its first pass after, every session
  // that pushes states is overdue and restarts its cadence from that same
  // instant. So the demo is frozen for that long once, and from then on
  // the oracle gets, as a full state, every snapshot the page gets as a
  // delta: compared at the same seq, the rebuilt and the full state must
  // be the same, whatever the host changed in between.
  const intervalMs = await page.evaluate(() => window.peerscope.client.config.state_snapshot_interval_ms);
  const oracle = await openSession(demo.wsUrl, { config: { state_snapshot_interval_ms: intervalMs }, push: ['STATE'] });
  t.cleanup(async () => oracle.close());
  const oracleStates = () => oracle.messages.filter((m) => m.payload === 'state');
  await oracle.waitFor((m) => m.payload === 'state', 'first state');
  await demo.freeze(2 * intervalMs + 200);
  const afterFreeze = oracleStates().length;

  // Same seqs, the page's as rebuilt from deltas: at least three, and the
  // host's connections changed between the first and the last of them.
  let matched = [];
  for (let n = afterFreeze + 1; ; n++) {
    if (n > afterFreeze + 20) {
      throw new Failure(`20 states after the freeze, the page and the oracle shared ${matched.length} rebuilt states (${matched.map((m) => m.seq).join(', ')})`);
    }
    await oracle.waitFor(() => oracleStates().length >= n, `state ${n} of the oracle`, { timeout: 20000 });
    const full = new Map(oracleStates().map((m) => [String(m.msg.state.seq), m]));
    const onPage = await page.evaluate(() => window.peerscope.store.states.filter((e) => e.rebuilt).map((e) => String(e.seq)));
    const common = onPage.filter((seq) => full.has(seq));
    if (common.length < 3) continue;
    matched = await pageStates(page, common);
    const first = connIds(matched[0].state);
    const last = connIds(matched[matched.length - 1].state);
    matched = matched.map((m) => ({ ...m, full: full.get(m.seq) }));
    if (first.join() !== last.join()) break;
  }
  for (const m of matched) {
    const want = ServerMessage.decode(m.full.bytes).state;
    check(!want.delta, `the oracle's state ${m.seq} is a full state`);
    const got = m.state;
    if (!sameState(got, want)) {
      const g = connIds(got);
      const w = connIds(want);
      throw new Failure(`state ${m.seq}: the page's rebuilt state differs from the host's full state `
        + `(connections only on the page: ${g.filter((x) => !w.includes(x)).join(' ') || 'none'}; `
        + `only in the host's: ${w.filter((x) => !g.includes(x)).join(' ') || 'none'})`);
    }
  }
  t.info(`the page's rebuilt states equal the host's full ones at seqs ${matched.map((m) => m.seq).join(', ')} `
    + `(${matched.map((m) => m.state.subsystems.connections.length).join(', ')} connections)`);

  // The table shows one of them, row for row, when the time bar goes back to it.
  await showConnections(page);
  const pick = matched[0]; // not the newest: seeking to that one would follow the newest again
  const at = await page.evaluate((seq) => {
    const { store } = window.peerscope;
    const i = store.states.findIndex((e) => String(e.seq) === seq);
    store.seek(i);
    return store.states[i].ts;
  }, pick.seq);
  await page.waitForFunction((ts) => document.querySelector('section[data-view="connections"]').dataset.ts === String(ts), at);
  equal(Number(await page.getAttribute('section[data-view="connections"]', 'data-conn-rows')), pick.state.subsystems.connections.length,
    `connection rows of state ${pick.seq}`);
  await page.evaluate(() => window.peerscope.store.seek(-1));

  // A REQUEST STATE takes a snapshot of its own, newer than any the page holds.
  const newest = await page.evaluate(() => Math.max(...window.peerscope.store.states.map((e) => Number(e.seq))));
  const [fresh] = await request(demo.wsUrl, ['STATE']);
  check(fresh.state.seq > newest, `a REQUEST STATE got seq ${fresh.state.seq}, the page holds up to ${newest}`);

  // What the page exports is what it holds, as full states: a valid 2020
  // recording. Read in the same task as the click, so no state comes between.
  const [download, held] = await Promise.all([
    page.waitForEvent('download'),
    page.evaluate(() => {
      const seqs = window.peerscope.store.states.map((e) => String(e.seq));
      document.getElementById('btn-export').click();
      return seqs;
    }),
  ]);
  const states = decodeRecording(fs.readFileSync(await download.path())).filter((m) => m.payload === 'state');
  equal(states.map((m) => String(m.state.seq)).join(' '), held.join(' '), 'seqs of the exported states vs the states held');
  check(states.every((m) => !m.state.delta), 'no exported state is a delta');
  const stats = await page.evaluate(() => window.peerscope.stats);
  equal(stats.resyncs, 0, 'resyncs on a steady session');
  equal(stats.deltasDropped, 0, 'deltas dropped on a steady session');
  check(stats.fullStates >= 1, 'the session started with a full state');
});

async function showConnections(page) {
  await page.click('.tab[data-view="connections"]');
  await page.waitForSelector('section[data-view="connections"]:not([hidden])');
}

/** The page's held states of these seqs, decoded by protobufjs: [{seq, state}]. */
async function pageStates(page, seqs) {
  const got = await page.evaluate((want) => window.peerscope.store.states
    .filter((e) => want.includes(String(e.seq)))
    .map((e) => {
      let bin = '';
      for (let i = 0; i < e.bytes.length; i += 0x8000) bin += String.fromCharCode(...e.bytes.subarray(i, i + 0x8000));
      return { seq: String(e.seq), b64: btoa(bin) };
    }), seqs);
  return got.map((g) => ({ seq: g.seq, state: ServerMessage.decode(Buffer.from(g.b64, 'base64')).state }));
}

const hex = (b) => Buffer.from(b).toString('hex');

/** The sorted connection ids of a State (protobufjs message). */
function connIds(state) {
  return (state.subsystems ? state.subsystems.connections : []).map((c) => hex(c.id)).sort();
}

/**
 * A State as bytes, with what a delta may reorder sorted (lists keyed by
 * id or name) and without the delta marker: two states are the same when
 * these bytes are.
 */
function canonicalBytes(state) {
  const o = State.toObject(state, { longs: String, bytes: String });
  delete o.delta;
  const by = (key) => (a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0);
  const sub = o.subsystems;
  if (sub) {
    const sortDht = (d) => { if (d && d.buckets) d.buckets.sort(by((x) => x.cpl || 0)); };
    if (sub.connections) sub.connections.sort(by((c) => c.id));
    sortDht(sub.dht);
    (sub.additional_dhts || []).forEach(sortDht);
    if (sub.pubsub && sub.pubsub.topics) sub.pubsub.topics.sort(by((x) => x.name));
    if (sub.peerstore && sub.peerstore.peers) sub.peerstore.peers.sort(by((p) => p.peer_id));
    if (sub.resource_manager && sub.resource_manager.scopes) sub.resource_manager.scopes.sort(by((x) => `${x.kind || 0}\u0000${x.name || ''}`));
  }
  return Buffer.from(State.encode(State.fromObject(o)).finish());
}

function sameState(a, b) {
  return canonicalBytes(a).equals(canonicalBytes(b));
}

/** The messages of a recording file, decoded by protobufjs's own decoder. */
function decodeRecording(buf) {
  equal(buf.readUInt32LE(0), 1, 'recording version');
  const out = [];
  let off = 4;
  while (off < buf.length) {
    const len = buf.readUInt32LE(off + 4);
    out.push(ServerMessage.toObject(ServerMessage.decode(buf.subarray(off + 8, off + 8 + len)), { longs: Number, oneofs: true }));
    off += 8 + len;
  }
  equal(off, buf.length, 'recording ends on a record boundary');
  return out;
}
