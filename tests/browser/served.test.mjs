// The page as the real demo host serves it (run by served.mjs, which starts
// the demo and passes it as t.host; visualizer.test.mjs then runs against
// the same page): where every byte of the page comes from, and the token
// flow against a token-protected demo.

import fs from 'node:fs';
import path from 'node:path';
import { test, check, equal, Skip } from './lib/harness.mjs';
import { demoBinary, startDemo } from './lib/demo.mjs';
import { request } from './lib/introspect.mjs';
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
  for (const p of ['/', '/style.css', '/vendor/protobuf.min.js', '/js/main.js', '/peerscope.proto', '/healthz']) {
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
