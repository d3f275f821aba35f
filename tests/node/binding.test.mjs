// The Node-API addon (bindings/node) from JavaScript: every table section
// and the events, checked by decoding the library's own snapshots with
// protobufjs (an independent decoder) against proto/peerscope.proto; the
// WebSocket endpoint reached with the ws package; errors as exceptions with
// PSC_ERR_* codes; objects of a closed parent refusing to work.
//
// Run by meson with PEERSCOPE_ADDON set (tests/node/with-addon.sh).

import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import WebSocket from 'ws';

import { loadAddon } from '../../bindings/node/lib/index.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = protobuf.parse(readFileSync(resolve(here, '..', '..', 'proto', 'peerscope.proto'), 'utf8'),
  { keepCase: true }).root;
const ServerMessage = root.lookupType('peerscope.ServerMessage');
const ClientCommand = root.lookupType('peerscope.ClientCommand');
const psc = loadAddon();

function decode(bytes) {
  return ServerMessage.toObject(ServerMessage.decode(bytes), { longs: Number, enums: String, defaults: true });
}

function state(intro) {
  const m = decode(intro.snapshot());
  assert.ok(m.state, 'a snapshot is a state');
  return m.state;
}

function fresh(opts = {}) {
  return new psc.Introspector({ implementation: 'binding-test', version: '1.0.0', peerId: '12D3KooWTest', ...opts });
}

test('connections and streams, with counters and closes', () => {
  const intro = fresh();
  const t = intro.table({ name: 'libp2p' });
  const c = t.openConnection({
    id: 'conn-1', peerId: '12D3KooWRemote', direction: 'inbound', status: 'opening',
    transportName: 'tcp', remoteAddr: '/ip4/127.0.0.1/tcp/4001', localAddr: '/ip4/127.0.0.1/tcp/5001',
    openTs: 1000, multiplexer: '/yamux/1.0.0', encryption: '/noise', tags: ['bootstrap'],
  });
  c.received(1200);
  c.received(24, 3);
  c.sent(77);
  const s = c.openStream({ id: new Uint8Array([1, 2, 3]), protocol: '/ipfs/kad/1.0.0', direction: 'outbound' });
  s.received(40);
  s.sent(2n); // a BigInt is a number too

  let st = state(intro);
  assert.equal(st.subsystems.connections.length, 1);
  const pc = st.subsystems.connections[0];
  assert.equal(Buffer.from(pc.id).toString(), 'conn-1');
  assert.equal(pc.peer_id, '12D3KooWRemote');
  assert.equal(pc.role, 'RESPONDER');
  assert.equal(pc.status, 'OPENING');
  assert.equal(pc.transport_name, 'tcp');
  assert.equal(pc.endpoints.dst_multiaddr, '/ip4/127.0.0.1/tcp/4001');
  assert.equal(pc.attribs.multiplexer, '/yamux/1.0.0');
  assert.equal(pc.traffic.traffic_in.cum_bytes, 1224);
  assert.equal(pc.traffic.traffic_in.cum_packets, 4);
  assert.equal(pc.traffic.traffic_out.cum_bytes, 77);
  assert.deepEqual(pc.user_provided_tags, ['bootstrap']);
  assert.equal(pc.streams.streams.length, 1);
  assert.deepEqual([...pc.streams.streams[0].id], [1, 2, 3]);
  assert.equal(pc.streams.streams[0].traffic.traffic_out.cum_bytes, 2);

  c.update({ peerId: '12D3KooWRemote', direction: 'inbound', status: 'active', upgradedTs: 1100 });
  s.close({ reason: 'stream reset', closeTs: 1500 });
  st = state(intro);
  assert.equal(st.subsystems.connections[0].status, 'ACTIVE');
  assert.equal(st.subsystems.connections[0].timeline.upgraded_ts, 1100);
  const ps = st.subsystems.connections[0].streams.streams[0];
  assert.equal(ps.status, 'CLOSED');
  assert.equal(ps.close_reason, 'stream reset');
  assert.equal(ps.timeline.close_ts, 1500);
  assert.throws(() => s.received(1), { code: 'PSC_ERR_CLOSED' });
  s.close(); // twice: nothing
  c.close('remote hung up');
  assert.throws(() => c.received(1), { code: 'PSC_ERR_CLOSED' });
  st = state(intro);
  assert.equal(st.subsystems.connections[0].status, 'CLOSED');
  assert.equal(st.subsystems.connections[0].close_reason, 'remote hung up');
  st = state(intro);
  assert.equal(st.subsystems.connections.length, 0);
  assert.equal(t.stats().connections, 0);
  intro.close();
});

test('DHT, pubsub, peerstore and the rest of the swarm', () => {
  const intro = fresh();
  const t = intro.table({ name: 'libp2p' });
  t.dht({ protocol: '/ipfs/kad/1.0.0', enabled: true, k: 20, alpha: 3, outgoing: { success: 2, error: 1 } });
  t.dhtPeer(1, { peerId: '12D3KooWD1', ageMs: 10 });
  t.dhtPeer(1, { peerId: '12D3KooWD2', status: 'missing' });
  t.dhtPeer(4, { peerId: '12D3KooWD3' });
  t.removeDhtPeer('12D3KooWD3');
  t.router('gossipsub', '/meshsub/1.1.0');
  t.topic({ name: 'blocks', subscribed: true, peerCount: 3, messages: { received: 5, published: 1 } });
  t.mesh('blocks', [{ peerId: '12D3KooWM1', score: 2.5 }, { peerId: '12D3KooWM2', score: -1 }]);
  t.fanout('txs', ['12D3KooWF1']);
  t.peer({ peerId: '12D3KooWP1', addrs: ['/ip4/127.0.0.1/tcp/4001'], protocols: ['/ipfs/id/1.0.0'],
    agentVersion: 'js-libp2p/3.3.9', latencyEwmaNs: 2e6, tags: [{ name: 'keep-alive', value: 1 }] });
  t.identify({ requestsIn: 2, requestsOut: 3 });
  t.ping({ sent: 4, failures: 1 });
  t.pingPeer({ peerId: '12D3KooWP1', lastRttNs: 350000 });
  t.dialer({ inFlight: 1, success: 7 });
  t.transport({ id: 'tcp', name: 'tcp', listenAddrs: ['/ip4/127.0.0.1/tcp/4001'], listening: true, dialing: true });

  const ss = state(intro).subsystems;
  assert.equal(ss.dht.name, 'libp2p');
  assert.equal(ss.dht.params.k, 20);
  assert.equal(ss.dht.outgoing_queries.error, 1);
  assert.equal(ss.dht.buckets.length, 1);
  assert.equal(ss.dht.buckets[0].cpl, 1);
  assert.deepEqual(ss.dht.buckets[0].peers.map((p) => [p.peer_id, p.status]).sort(),
    [['12D3KooWD1', 'ACTIVE'], ['12D3KooWD2', 'MISSING']]);
  assert.equal(ss.pubsub.router, 'gossipsub');
  const blocks = ss.pubsub.topics.find((x) => x.name === 'blocks');
  assert.equal(blocks.messages.received, 5);
  assert.deepEqual(blocks.mesh_peers.map((m) => [m.peer_id, m.score]), [['12D3KooWM1', 2.5], ['12D3KooWM2', -1]]);
  assert.deepEqual(ss.pubsub.topics.find((x) => x.name === 'txs').fanout_peers, ['12D3KooWF1']);
  assert.equal(ss.peerstore.peers[0].agent_version, 'js-libp2p/3.3.9');
  assert.equal(ss.peerstore.peers[0].tags[0].value, 1);
  assert.equal(ss.identify.requests_out, 3);
  assert.equal(ss.ping.peers[0].last_rtt_ns, 350000);
  assert.equal(ss.dialer.outcomes.success, 7);
  assert.equal(ss.transports[0].listen_multiaddrs[0], '/ip4/127.0.0.1/tcp/4001');
  intro.close();
});

test('resource scopes and custom sections', () => {
  const intro = fresh();
  const t = intro.table({});
  t.scope({ kind: 'protocol', name: '/ipfs/kad/1.0.0', usage: { streamsIn: 3 }, limit: { streamsIn: 64 } });
  t.scope({ kind: 'system', usage: { memory: 1024 } });
  t.custom('chain', 'height', 8066176n);
  t.custom('chain', 'load', 0.25);
  t.custom('chain', 'head', '0xabc');
  t.custom('chain', 'sync', { synced: true, peers: [1, 2] });
  t.customJson('chain', 'raw', '[1,2,3]');
  assert.throws(() => t.customJson('chain', 'bad', '{nope'), { code: 'PSC_ERR_INVALID' });
  assert.throws(() => t.scope({ kind: 'planet' }), /kind must be one of/);
  let ss = state(intro).subsystems;
  assert.equal(ss.resource_manager.scopes.length, 2);
  const kad = ss.resource_manager.scopes.find((s) => s.kind === 'PROTOCOL');
  assert.equal(kad.usage.streams_in, 3);
  assert.equal(kad.limit.streams_in, 64);
  const chain = ss.custom.find((c) => c.name === 'chain');
  const byName = Object.fromEntries(chain.values.map((v) => [v.name, v]));
  assert.equal(byName.height.integer, 8066176);
  assert.equal(byName.load.number, 0.25);
  assert.equal(byName.head.text, '0xabc');
  assert.deepEqual(JSON.parse(byName.sync.json), { synced: true, peers: [1, 2] });
  assert.equal(byName.raw.json, '[1,2,3]');
  t.removeCustom('chain', 'raw');
  t.removeScope('protocol', '/ipfs/kad/1.0.0');
  ss = state(intro).subsystems;
  assert.equal(ss.resource_manager.scopes.length, 1);
  assert.equal(ss.custom.find((c) => c.name === 'chain').values.length, 4);
  intro.close();
});

test('bad arguments throw, and nothing is queued', () => {
  const intro = fresh();
  const t = intro.table({});
  assert.throws(() => t.openConnection({ peerId: 'x' }), { code: 'PSC_ERR_INVALID' }); // no id
  assert.throws(() => t.openConnection({ id: 'a', direction: 'sideways' }), /direction must be one of/);
  assert.throws(() => t.openConnection({ id: 'a', openTs: -1 }), /openTs must be a number >= 0/);
  assert.throws(() => t.openConnection({ id: 5 }), /id must be a string or a Uint8Array/);
  assert.throws(() => t.dhtPeer(300, { peerId: 'p' }), { code: 'PSC_ERR_INVALID' });
  assert.throws(() => t.mesh('t', 'nope'), /must be an array/);
  assert.throws(() => new psc.Connection(), /made by the library/);
  assert.equal(t.stats().pending, 0);
  t.close();
  assert.throws(() => t.openConnection({ id: 'a' }), { code: 'PSC_ERR_CLOSED' });
  intro.close();
});

test('typed events, by property name, with JSON values', () => {
  const intro = fresh();
  const type = intro.declareEvent('BlockImported', [
    { name: 'peerId', type: 'peerid' }, { name: 'height', type: 'number' }, { name: 'at', type: 'time' },
    { name: 'addrs', type: 'multiaddr', multiple: true }, { name: 'extra', type: 'json' },
  ]);
  assert.equal(type.name, 'BlockImported');
  intro.emit(type, { peerId: '12D3KooWE', height: 42, at: 1700000000000, addrs: ['/ip4/1.2.3.4/tcp/1'],
    extra: { ok: true, list: [1, 2] } });
  intro.emit(type, { height: 43 }, 1234); // the rest left out; a time of our own
  intro.declareWellKnown();
  const connected = intro.lookupEvent('PeerConnected');
  assert.ok(connected);
  assert.equal(intro.lookupEvent('NoSuchType'), undefined);
  assert.throws(() => intro.emit({}, {}), /event type of this introspector/);
  const other = fresh();
  assert.throws(() => other.emit(type, {}), /event type of this introspector/);
  other.close();
  const rt = decode(intro.runtime()).runtime;
  const bi = rt.event_types.find((e) => e.name === 'BlockImported');
  assert.deepEqual(bi.property_types.map((p) => p.type), ['PEERID', 'NUMBER', 'TIME', 'MULTIADDR', 'JSON']);
  intro.close();
});

test('the endpoint serves states and events over a real WebSocket', async () => {
  const logs = [];
  const intro = fresh({ logLevel: 'info', onLog: (level, msg) => logs.push(`${level}: ${msg}`) });
  const t = intro.table({ name: 'libp2p' });
  t.openConnection({ id: 'ws-conn', peerId: '12D3KooWWs' });
  const ev = intro.declareEvent('Tick', [{ name: 'n', type: 'number' }]);
  const ep = intro.listen({ port: 0 });
  assert.ok(ep.port > 0);
  assert.equal(ep.url, `ws://127.0.0.1:${ep.port}/introspect`);
  const ws = new WebSocket(ep.url);
  ws.binaryType = 'nodebuffer';
  const got = { states: [], events: [] };
  const done = new Promise((resolveDone, reject) => {
    ws.on('message', (buf) => {
      const m = decode(buf.subarray(12)); // the 2020 frame header, then the message
      if (m.state) got.states.push(m.state);
      if (m.event) got.events.push(m.event);
      if (m.response && m.response.id === 3) intro.emit(ev, { n: 7 }); // events enabled: emit one
      if (got.states.length && got.events.length) resolveDone();
    });
    ws.on('error', reject);
  });
  ws.on('open', () => {
    const send = (id, command, source) =>
      ws.send(ClientCommand.encode({ version: { version: 1 }, id, command, source,
        config: { retention_period_ms: 120000, state_snapshot_interval_ms: 500 } }).finish());
    send(1, 0, 0); // HELLO
    send(2, 2, 0); // PUSH_ENABLE STATE
    send(3, 2, 2); // PUSH_ENABLE EVENTS
  });
  await done;
  assert.equal(Buffer.from(got.states[0].subsystems.connections[0].id).toString(), 'ws-conn');
  assert.equal(got.events[0].type.name, 'Tick');
  assert.equal(JSON.parse(got.events[0].content).n, 7);
  assert.ok(ep.sessions() >= 1);
  ws.close();
  ep.close();
  assert.throws(() => ep.sessions(), { code: 'PSC_ERR_CLOSED' });
  intro.close();
  // the log callback ran on the JS thread with the endpoint's lines
  await new Promise((r) => setImmediate(r));
  assert.ok(logs.some((l) => l.startsWith('info: ws: listening on ')), logs.join('\n'));
});

test('closing the introspector closes what it made', () => {
  const intro = fresh();
  const t = intro.table({});
  const c = t.openConnection({ id: 'x' });
  const ep = intro.listen({ port: 0 });
  intro.close();
  assert.throws(() => c.received(1), { code: 'PSC_ERR_CLOSED' });
  assert.throws(() => t.stats(), { code: 'PSC_ERR_CLOSED' });
  assert.throws(() => ep.sessions(), { code: 'PSC_ERR_CLOSED' });
  assert.throws(() => intro.snapshot(), { code: 'PSC_ERR_CLOSED' });
  intro.close(); // twice: nothing
  assert.throws(() => new psc.Introspector({ logLevel: 'chatty' }), /logLevel must be one of/);
});
