// The page as the real demo host serves it (run by served.mjs, which starts
// the demo and passes it as t.host; visualizer.test.mjs then runs against
// the same page): where every byte of the page comes from, and the token
// flow against a token-protected demo.

import fs from 'node:fs';
import path from 'node:path';
import { test, check, equal, Skip } from './lib/harness.mjs';
import { demoBinary, startDemo } from './lib/demo.mjs';
import { request, ServerMessage } from './lib/introspect.mjs';
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
  if (!t.host) throw new Skip('needs the demo host that served.mjs starts');
  const { page, host } = t;
  await page.goto(`${t.realBase}/`);
  await waitPhase(page, 'open');
  const [runtime] = await request(host.wsUrl, ['RUNTIME']);
  check(runtime.runtime.capabilities.includes('delta_states'), `the demo offers delta states (${runtime.runtime.capabilities.join(', ')})`);
  await page.waitForFunction(() => window.peerscope.stats.deltasApplied >= 3, null, { timeout: 30000 });
  await showConnections(page);

  // The shown state, rebuilt from a delta, against a full state that a Node
  // client asks for on its own session. Two sessions never get the same
  // snapshot (each REQUEST takes a fresh one), and the demo's connections
  // come and go: the two agree unless one changed in between, so a few
  // tries are allowed. A rebuilding fault (a connection kept after its
  // removal, an unchanged one lost) would hold on every try.
  let last = '';
  let agreed = null;
  for (let attempt = 0; attempt < 20 && !agreed; attempt++) {
    const before = await shownState(page);
    const [full] = await request(host.wsUrl, ['STATE']);
    const after = await shownState(page);
    const ids = full.state.subsystems.connections.map((c) => Buffer.from(c.id).toString('hex')).sort();
    last = `page state ${after && after.seq} (${after && after.ids.length} connections, rebuilt: ${after && after.rebuilt}) vs Node state ${full.state.seq} (${ids.length})`;
    if (before && after && before.seq === after.seq && after.rebuilt && after.rows === after.ids.length
      && after.ids.join() === ids.join()) agreed = { page: after, node: full.state };
    else await page.waitForTimeout(300);
  }
  check(agreed, `the page's rebuilt state never matched a full state of the host; last try: ${last}`);
  check(agreed.node.seq > agreed.page.seq, 'the Node client got a later snapshot than the page showed');
  t.info(`matched ${agreed.page.ids.length} connections at page seq ${agreed.page.seq}, host seq ${agreed.node.seq}`);

  // What the page exports holds full states only: a valid 2020 recording.
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#btn-export')]);
  const buf = fs.readFileSync(await download.path());
  const states = decodeRecording(buf).filter((m) => m.payload === 'state');
  const held = await page.evaluate(() => window.peerscope.store.states.length);
  check(states.length >= held, `exported ${states.length} states for ${held} held`);
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

/**
 * The state the page shows (it follows the newest): its seq, whether it
 * came as a delta, its sorted connection ids, and the connection rows the
 * table drew for it (null until the table caught up).
 */
async function shownState(page) {
  return page.evaluate(() => {
    const { store } = window.peerscope;
    const cur = store.current();
    if (!cur) return null;
    const section = document.querySelector('section[data-view="connections"]');
    const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
    return {
      seq: cur.entry.seq,
      rebuilt: cur.entry.rebuilt,
      ids: cur.state.subsystems.connections.map((c) => hex(c.id)).sort(),
      rows: Number(section.dataset.ts) === cur.entry.ts ? Number(section.dataset.connRows) : null,
    };
  });
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
