// peerscope inside a real js-libp2p network on loopback.
//
// Four nodes of examples/js-libp2p run as processes of their own (the first
// one introspected through `node.mjs --introspect-port 0`, the bootstrap
// node of the others); two more run in this process: A, the node under
// test, with `metrics: peerscope()`, and E, a plain peer with an echo
// protocol. What A's endpoint serves is compared with what libp2p itself
// reports: getConnections() and their streams, the sockets' byte counts,
// the kad-dht routing table, gossipsub's mesh; a node that stops; and
// peerscope-top and the visualizer (Chromium) showing A.
//
// Run by meson (tests/libp2p/meson.build) under Node 22 from
// examples/js-libp2p, with PEERSCOPE_ADDON, PEERSCOPE_TOP and the
// sanitizer runtime preloaded by tests/node/with-addon.sh. Every wait is on
// a condition, bounded; nothing sleeps for a fixed time to let things
// happen.

import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath, pathToFileURL } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const top = resolve(here, '..', '..');
const example = join(top, 'examples', 'js-libp2p');
const load = (p) => import(pathToFileURL(p).href);

const { createNode } = await load(join(example, 'lib', 'create-node.mjs'));
const { startActivity } = await load(join(example, 'lib', 'activity.mjs'));
const { multiaddr } = createRequire(join(example, 'package.json'))('@multiformats/multiaddr');
const { peerscope } = await load(join(top, 'bindings', 'node', 'lib', 'index.js'));
// The independent protocol client of the browser tests (ws + protobufjs).
const { request, openSession, ServerMessage } = await load(join(top, 'tests', 'browser', 'lib', 'introspect.mjs'));
const { CHROMIUM } = await load(join(top, 'tests', 'browser', 'lib', 'prereq.mjs'));

const TOPIC = 'peerscope-example';         // what node.mjs subscribes to by default
const ECHO = '/peerscope-test/echo/1.0.0';
const CHILDREN = 4;
const WAIT_MS = 60_000;                   // bound of every wait on the network

// ------------------------------------------------------------------ helpers

/** Resolves once check() returns a truthy value (its result); rejects with describe() after WAIT_MS. */
async function until(what, check, { timeoutMs = WAIT_MS, stepMs = 100, describe } = {}) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const got = await check();
    if (got) return got;
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${describe ? `: ${await describe()}` : ''}`);
    }
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

const text = (bytes) => Buffer.from(bytes).toString();
const role = (direction) => (direction === 'inbound' ? 'RESPONDER' : 'INITIATOR');

/** A ServerMessage from its bytes, enums by name. */
const decode = (bytes) => ServerMessage.toObject(ServerMessage.decode(bytes), { longs: Number, enums: String, defaults: true });

/** The state of a ServerMessage's bytes (from the addon, or a session's message). */
const decodeState = (bytes) => decode(bytes).state;

/** The kad id of a peer computed here, independently of the integration: sha256 of its multihash. */
function kadIdOf(peerId) {
  return createHash('sha256').update(peerId.toMultihash().bytes).digest();
}

function cplOf(a, b) {
  let n = 0;
  for (let i = 0; i < a.length; i++) {
    for (let bit = 7; bit >= 0; bit--) {
      if (((a[i] >> bit) & 1) !== ((b[i] >> bit) & 1)) return n;
      n++;
    }
  }
  return n;
}

/** A node of examples/js-libp2p as a child process; resolves once it printed its address. */
function startChild(index, extra) {
  const child = spawn(process.execPath, [join(example, 'node.mjs'), '--listen', '/ip4/127.0.0.1/tcp/0', ...extra],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  const rec = { index, child, addr: null, url: null, stderr: '', exited: null };
  child.stderr.on('data', (d) => { rec.stderr = (rec.stderr + d).slice(-4000); });
  rec.exit = new Promise((res) => child.on('exit', (code, signal) => { rec.exited = { code, signal }; res(rec.exited); }));
  const introspected = extra.includes('--introspect-port');
  return new Promise((res, rej) => {
    createInterface({ input: child.stdout }).on('line', (line) => {
      if (line.startsWith('listening ')) rec.addr = line.slice('listening '.length);
      if (line.startsWith('introspect ')) rec.url = line.split(' ')[1];
      if (rec.addr && (rec.url || !introspected)) res(rec);
    });
    rec.exit.then((e) => rej(new Error(`node ${index} exited (${e.code ?? e.signal}) before listening: ${rec.stderr}`)));
  });
}

const peerOf = (addr) => addr.split('/p2p/').pop();

// ------------------------------------------------------------------ the network

const net = { children: [], a: null, e: null, metrics: null, stop: new AbortController(), log: [],
  pings: { sent: 0, failures: 0 }, connChanges: 0 };

before(async () => {
  const first = await startChild(0, ['--introspect-port', '0']);
  net.children.push(first);
  net.children.push(...await Promise.all(
    Array.from({ length: CHILDREN - 1 }, (_, i) => startChild(i + 1, ['--bootstrap', first.addr]))));

  // E: a plain peer that echoes what it is sent, so that A's stream bytes are known exactly.
  net.e = await createNode({ listen: '/ip4/127.0.0.1/tcp/0', bootstrap: [first.addr] });
  await net.e.handle(ECHO, async (stream) => {
    for await (const chunk of stream) {
      if (!stream.send(chunk)) await stream.onDrain();
    }
    await stream.close();
  });
  await net.e.start();
  net.e.services.pubsub.subscribe(TOPIC);

  const factory = peerscope({ port: 0, refreshMs: 500, implementation: 'peerscope-libp2p-test',
    onLog: (level, line) => net.log.push(`${level}: ${line}`) });
  net.a = await createNode({
    listen: '/ip4/127.0.0.1/tcp/0', bootstrap: [first.addr],
    metrics: (components) => (net.metrics = factory(components)),
  });
  await net.a.start();
  for (const name of ['connection:open', 'connection:close']) net.a.addEventListener(name, () => { net.connChanges++; });
  // Pings as the ping service itself answers them, counted outside the integration.
  const ping = net.a.services.ping.ping.bind(net.a.services.ping);
  net.a.services.ping.ping = async (peer, opts) => {
    const self = peer?.equals?.(net.a.peerId) === true; // kad-dht pings its own trie entry; refused, not a ping
    if (!self) net.pings.sent++;
    try {
      return await ping(peer, opts);
    } catch (err) {
      if (!self) net.pings.failures++;
      throw err;
    }
  };
  startActivity(net.a, { topics: [TOPIC], signal: net.stop.signal });
  await net.e.services.pubsub.subscribe(TOPIC);
  for (const c of net.children) await net.a.dial(multiaddr(c.addr));
  await net.a.dial(net.e.getMultiaddrs()[0]);
  await until('A connected to every other node', () => {
    const peers = new Set(net.a.getConnections().map((c) => c.remotePeer.toString()));
    return net.children.every((c) => peers.has(peerOf(c.addr))) && peers.has(net.e.peerId.toString());
  });
});

after(async () => {
  net.stop.abort();
  for (const c of net.children) if (!c.exited) c.child.kill('SIGTERM');
  await Promise.all([net.a?.stop(), net.e?.stop(), ...net.children.map((c) => c.exit)]);
  assert.equal(net.metrics?.faults ?? 0, 0, `errors the integration caught in its hooks:\n${net.log.join('\n')}`);
});

/** A's state as a client of its endpoint gets it (a fresh snapshot, through the WebSocket). */
async function endpointState() {
  const [m] = await request(net.metrics.url, ['STATE']);
  return decodeState(ServerMessage.encode(ServerMessage.fromObject(m)).finish());
}

/** What libp2p reports for A's connections: id -> {peer, addr, role, streams: id -> {protocol, role}}. */
function libp2pConnections() {
  const out = new Map();
  for (const c of net.a.getConnections()) {
    if (c.status !== 'open') continue;
    const streams = new Map();
    for (const s of c.streams) if (s.protocol && s.status === 'open') streams.set(s.id, { protocol: s.protocol, role: role(s.direction) });
    out.set(c.id, { peer: c.remotePeer.toString(), addr: c.remoteAddr.toString(), role: role(c.direction), streams });
  }
  return out;
}

/** The same, from a State: only what is still open (closed entries are reported once, then dropped). */
function stateConnections(state) {
  const out = new Map();
  for (const c of state.subsystems?.connections ?? []) {
    if (c.status !== 'ACTIVE') continue;
    const streams = new Map();
    for (const s of c.streams?.streams ?? []) if (s.status === 'ACTIVE') streams.set(text(s.id), { protocol: s.protocol, role: s.role });
    out.set(text(c.id), { peer: c.peer_id, addr: c.endpoints?.dst_multiaddr, role: c.role, streams });
  }
  return out;
}

const plain = (m) => JSON.stringify([...m].sort(([a], [b]) => (a < b ? -1 : 1))
  .map(([k, v]) => [k, { ...v, streams: v.streams ? [...v.streams].sort(([x], [y]) => (x < y ? -1 : 1)) : undefined }]));

// ------------------------------------------------------------------ the tests

test('the endpoint lists exactly the connections and open streams libp2p reports', async () => {
  let last = '';
  // Streams open and close all the time (identify, ping, DHT, gossipsub):
  // a comparison counts when nothing changed while the state was taken.
  await until('a state equal to getConnections()', async () => {
    const before = net.metrics.changes;
    const want = libp2pConnections();
    const state = await endpointState();
    if (net.metrics.changes !== before) return false;
    const got = stateConnections(state);
    last = `libp2p ${plain(want)}\nstate  ${plain(got)}`;
    // (a loaded machine may see libp2p's connection monitor drop a slow connection: compare what there is)
    return want.size >= 2 && plain(want) === plain(got);
  }, { describe: () => last });
});

test('byte counters equal what the sockets read and wrote, and only grow', async () => {
  const seen = new Map();
  for (let round = 0; round < 5; round++) {
    // A synchronous snapshot: no JavaScript runs between it and the reads of the sockets.
    const state = decodeState(net.metrics.intro.snapshot());
    const byId = new Map((state.subsystems.connections ?? []).map((c) => [text(c.id), c]));
    let compared = 0;
    for (const conn of net.a.getConnections()) {
      const socket = conn.maConn?.socket;
      const pc = byId.get(conn.id);
      assert.ok(pc, `connection ${conn.id} in the state`);
      if (!socket) continue;
      assert.equal(pc.traffic.traffic_in.cum_bytes, socket.bytesRead, `bytes in of ${conn.id}`);
      assert.equal(pc.traffic.traffic_out.cum_bytes, socket.bytesWritten, `bytes out of ${conn.id}`);
      const prev = seen.get(conn.id);
      if (prev) {
        assert.ok(pc.traffic.traffic_in.cum_bytes >= prev.in && pc.traffic.traffic_out.cum_bytes >= prev.out,
          `counters of ${conn.id} went back`);
      }
      seen.set(conn.id, { in: pc.traffic.traffic_in.cum_bytes, out: pc.traffic.traffic_out.cum_bytes });
      compared++;
    }
    assert.ok(compared >= 2, `compared ${compared} connections with their sockets`);
    // the next round after more traffic went through: a pubsub message or a ping at least
    const before = net.a.getConnections().reduce((n, c) => n + (c.maConn?.socket?.bytesRead ?? 0), 0);
    await until('more traffic', () => net.a.getConnections().reduce((n, c) => n + (c.maConn?.socket?.bytesRead ?? 0), 0) > before,
      { stepMs: 50 });
  }

  // A stream of known payload: 256 KiB sent to E's echo and read back.
  const stream = await net.a.dialProtocol(net.e.peerId, ECHO);
  const conn = net.a.getConnections(net.e.peerId).find((c) => c.streams.includes(stream));
  assert.ok(conn, 'the echo stream\'s connection');
  const total = 256 * 1024;
  const chunk = new Uint8Array(16 * 1024).fill(7);
  let received = 0;
  // A listener, not an iterator: leaving a for-await loop early would close the stream.
  stream.addEventListener('message', (evt) => { received += evt.data.byteLength; });
  for (let sent = 0; sent < total; sent += chunk.byteLength) {
    if (!stream.send(chunk)) await stream.onDrain();
  }
  await until('the echo back', () => received >= total, { stepMs: 20 });
  assert.equal(received, total, 'echoed bytes');
  const state = decodeState(net.metrics.intro.snapshot());
  const pc = state.subsystems.connections.find((c) => text(c.id) === conn.id);
  const ps = pc.streams.streams.find((s) => text(s.id) === stream.id);
  assert.ok(ps, 'the echo stream in the state');
  assert.equal(ps.protocol, ECHO);
  assert.equal(ps.role, 'INITIATOR');
  assert.equal(ps.traffic.traffic_out.cum_bytes, total, 'stream bytes out');
  assert.equal(ps.traffic.traffic_in.cum_bytes, total, 'stream bytes in');
  assert.ok(pc.traffic.traffic_out.cum_bytes > total && pc.traffic.traffic_in.cum_bytes > total,
    'the connection carried the stream and more');
  await stream.close();
  await until('the echo stream closed', () => stream.status !== 'open' && !conn.streams.includes(stream));
  const closed = decodeState(net.metrics.intro.snapshot()).subsystems.connections
    .find((c) => text(c.id) === conn.id).streams.streams.find((s) => text(s.id) === stream.id);
  assert.ok(closed, 'the closed echo stream reported');
  assert.equal(closed.status, 'CLOSED');
  assert.equal(closed.traffic.traffic_out.cum_bytes, total, 'bytes of the closed stream');
});

test('pings and their round trips as the ping service made them', async () => {
  let last = '';
  await until('the ping counters in the state', () => {
    const st = decodeState(net.metrics.intro.snapshot()).subsystems.ping;
    last = `state ${st?.pings_sent}/${st?.failures}, ping service ${net.pings.sent}/${net.pings.failures}`;
    const peers = new Set((st?.peers ?? []).map((p) => p.peer_id)); // a loopback rtt may round to 0 ms
    return net.pings.sent >= 2 * CHILDREN && st.pings_sent === net.pings.sent && st.failures === net.pings.failures
      && net.children.every((c) => peers.has(peerOf(c.addr)));
  }, { describe: () => last });
});

test('the peerstore as libp2p\'s peer store holds it', async () => {
  const dec = new TextDecoder();
  const asText = (p) => JSON.stringify({
    addrs: p.addresses.map((a) => a.multiaddr.toString()).sort(),
    protocols: [...p.protocols].sort(),
    agent: p.metadata.has('AgentVersion') ? dec.decode(p.metadata.get('AgentVersion')) : '',
    tags: [...p.tags].map(([name, t]) => `${name}=${t.value}`).sort(),
  });
  // A change of a peer already reported must reach the state too.
  const tagged = peerOf(net.children[0].addr);
  await until('the first node in the state\'s peerstore', () => decodeState(net.metrics.intro.snapshot())
    .subsystems?.peerstore?.peers?.some((p) => p.peer_id === tagged));
  await net.a.peerStore.merge(net.a.getConnections().find((c) => c.remotePeer.toString() === tagged).remotePeer,
    { tags: { 'peerscope-test': { value: 42 } } });
  let last = '';
  await until('the peer store in the state', async () => {
    const want = new Map((await net.a.peerStore.all()).map((p) => [p.id.toString(), asText(p)]));
    const state = decodeState(net.metrics.intro.snapshot());
    const got = new Map((state.subsystems?.peerstore?.peers ?? []).map((p) => [p.peer_id, JSON.stringify({
      addrs: [...p.multiaddrs].sort(), protocols: [...p.protocols].sort(), agent: p.agent_version,
      tags: p.tags.map((t) => `${t.name}=${t.value}`).sort() })]));
    const diff = [...want].filter(([id, v]) => got.get(id) !== v).map(([id]) => id)
      .concat([...got.keys()].filter((id) => !want.has(id)));
    last = `differ: ${diff.join(' ')}`;
    return want.size >= CHILDREN && diff.length === 0 && JSON.parse(got.get(tagged)).tags.includes('peerscope-test=42')
      && net.children.every((c) => JSON.parse(want.get(peerOf(c.addr)) ?? '{}').agent?.length > 0);
  }, { describe: () => last });
});

test('DHT buckets hold exactly the routing table\'s peers at their common prefix length', async () => {
  const dht = net.a.services.dht;
  const self = kadIdOf(net.a.peerId);
  const routingTable = () => {
    const out = [];
    for (const contact of dht.routingTable.kb.toIterable()) {
      if (contact.peerId.equals(net.a.peerId)) continue;
      assert.ok(Buffer.from(contact.kadId).equals(kadIdOf(contact.peerId)), 'kad id = sha256 of the multihash');
      out.push(`${cplOf(self, kadIdOf(contact.peerId))} ${contact.peerId.toString()}`);
    }
    return out.sort().join('\n');
  };
  const fromState = (state) => {
    const out = [];
    for (const b of state.subsystems?.dht?.buckets ?? []) for (const p of b.peers) out.push(`${b.cpl} ${p.peer_id}`);
    return out.sort().join('\n');
  };
  let last = '';
  await until('the routing table in the state', async () => {
    const want = routingTable();
    const state = await endpointState();
    const got = fromState(state);
    last = `routing table:\n${want}\nstate:\n${got}`;
    return dht.routingTable.size >= 4 && want === got && routingTable() === want
      && state.subsystems.dht.protocol === dht.protocol && state.subsystems.dht.enabled;
  }, { describe: () => last });
});

test('gossipsub mesh peers equal getMeshPeers(topic)', async () => {
  const ps = net.a.services.pubsub;
  let last = '';
  await until('the mesh in the state', async () => {
    const want = ps.getMeshPeers(TOPIC).map(String).sort().join(' ');
    const state = await endpointState();
    const topic = (state.subsystems?.pubsub?.topics ?? []).find((t) => t.name === TOPIC);
    const got = (topic?.mesh_peers ?? []).map((p) => p.peer_id).sort().join(' ');
    last = `getMeshPeers ${want} / state ${got}`;
    return want.split(' ').length >= 2 && want === got && topic.subscribed
      && ps.getMeshPeers(TOPIC).map(String).sort().join(' ') === want;
  }, { describe: () => last });
});

test('a node that stops: CLOSED once on A, and PeerDisconnected on its peers', async () => {
  const gone = net.children[CHILDREN - 1];
  const goneId = peerOf(gone.addr);
  const ids = net.a.getConnections().filter((c) => c.remotePeer.toString() === goneId).map((c) => c.id);
  assert.ok(ids.length >= 1, 'A is connected to the node that stops');
  const config = { state_snapshot_interval_ms: 500, retention_period_ms: 60000 };
  const onA = await openSession(net.metrics.url, { config, push: ['STATE', 'EVENTS'] });
  const onFirst = await openSession(net.children[0].url, { config, push: ['EVENTS'] });
  try {
    const disconnected = (m) => m.payload === 'event' && m.msg.event.type?.name === 'PeerDisconnected'
      && JSON.parse(m.msg.event.content).peerId === goneId;
    const stateOf = (m) => decodeState(m.bytes);
    // A state with the connections still open comes first.
    await onA.waitFor((m) => m.payload === 'state' && stateOf(m).subsystems.connections
      .some((c) => ids.includes(text(c.id)) && c.status === 'ACTIVE'), 'a state with the connection open', { timeout: WAIT_MS });
    gone.child.kill('SIGTERM');
    const exit = await gone.exit;
    assert.equal(exit.code, 0, `the stopped node's exit (${gone.stderr})`);
    await onA.waitFor(disconnected, 'PeerDisconnected on A', { timeout: WAIT_MS });
    await onFirst.waitFor(disconnected, 'PeerDisconnected on the first node', { timeout: WAIT_MS });
    const states = () => onA.messages.filter((m) => m.payload === 'state').map(stateOf);
    const closedAt = () => states().findIndex((s) => s.subsystems.connections.some((c) => ids.includes(text(c.id)) && c.status === 'CLOSED'));
    await until('a state with the connection CLOSED', () => closedAt() >= 0);
    const at = closedAt();
    await until('three more states', () => states().length >= at + 4);
    for (const id of ids) {
      const reports = states().map((s) => s.subsystems.connections.find((c) => text(c.id) === id)?.status ?? 'absent');
      const firstClosed = reports.indexOf('CLOSED');
      assert.ok(firstClosed >= 0, `connection ${id} reported CLOSED (${reports.join(' ')})`);
      assert.equal(reports.filter((r) => r === 'CLOSED').length, 1, `CLOSED once (${reports.join(' ')})`);
      assert.ok(reports.slice(firstClosed + 1).every((r) => r === 'absent'), `gone after CLOSED (${reports.join(' ')})`);
      assert.ok(reports.slice(0, firstClosed).every((r) => r !== 'absent'), `listed until it closed (${reports.join(' ')})`);
    }
    assert.ok(!net.a.getConnections().some((c) => c.remotePeer.toString() === goneId), 'libp2p agrees it is gone');
  } finally {
    onA.close();
    onFirst.close();
  }
});

test('peerscope-top shows the node', async (t) => {
  const bin = process.env.PEERSCOPE_TOP;
  if (!bin || !existsSync(bin)) {
    t.skip('peerscope-top is not built (PEERSCOPE_TOP)');
    return;
  }
  const frame = () => new Promise((res, rej) => execFile(bin, ['--batch', '--width', '140', '--height', '40', net.metrics.url],
    { timeout: 30_000, env: { ...process.env, LD_PRELOAD: '' } }, (err, stdout, stderr) => (err ? rej(new Error(`${err.message}: ${stderr}`)) : res(stdout))));
  let last = '';
  // One frame is one state: it counts when libp2p's connections did not change while it was taken.
  await until('a frame of peerscope-top showing every connection', async () => {
    const before = net.connChanges;
    const peers = net.a.getConnections().map((c) => c.remotePeer.toString());
    const out = await frame();
    last = out;
    if (net.connChanges !== before) return false;
    assert.ok(out.includes(net.a.peerId.toString()), `the peer id in:\n${out}`);
    return Number(/conns (\d+)/.exec(out)?.[1]) === peers.length && peers.length >= 2
      && peers.every((id) => out.includes(`${id.slice(0, 9)}…${id.slice(-6)}`));
  }, { describe: () => `last frame:\n${last}` });
});

test('the visualizer in Chromium shows the node', async (t) => {
  if (!existsSync(CHROMIUM)) {
    t.skip(`no ${CHROMIUM}`);
    return;
  }
  const { chromium } = createRequire(join(top, 'tests', 'browser', 'package.json'))('playwright-core');
  const profile = mkdtempSync(join(tmpdir(), 'psc-libp2p-chromium-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM, headless: true, viewport: { width: 1440, height: 900 }, colorScheme: 'dark',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--no-first-run'],
    env: { ...process.env, LD_PRELOAD: '' },
  });
  try {
    const page = ctx.pages()[0] ?? await ctx.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`http://127.0.0.1:${net.metrics.port}/`);
    await page.waitForSelector('body[data-phase="open"]', { timeout: 20_000 });
    assert.equal((await page.textContent('#node-peer-id')).trim(), net.a.peerId.toString());
    await page.click('.tab[data-view="connections"]');
    await page.waitForSelector('section[data-view="connections"]:not([hidden])');
    const peers = () => new Set(net.a.getConnections().map((c) => c.remotePeer.toString()));
    await until('a row for every connected peer', async () => {
      const rows = await page.$$eval('section[data-view="connections"] .vt-row[data-peer]', (els) => els.map((e) => e.dataset.peer));
      return [...peers()].every((p) => rows.includes(p));
    });
    await page.click('.tab[data-view="dht"]');
    await until('the routing table on the DHT view', async () => {
      const shown = await page.$$eval('.dht-peer[data-peer]', (els) => els.map((e) => e.dataset.peer));
      const table = [...net.a.services.dht.routingTable.kb.toIterable()]
        .filter((c) => !c.peerId.equals(net.a.peerId)).map((c) => c.peerId.toString());
      return table.length > 0 && table.every((p) => shown.includes(p));
    });
    if (process.env.PSC_SCREENSHOT_DIR) {
      mkdirSync(process.env.PSC_SCREENSHOT_DIR, { recursive: true });
      await page.click('.tab[data-view="connections"]');
      await page.screenshot({ path: join(process.env.PSC_SCREENSHOT_DIR, 'visualizer-libp2p.png') });
    }
    assert.deepEqual(errors, [], 'errors on the page');
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
});
