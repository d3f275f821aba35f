// What the visualizer reads of a fleet (web/src/js/fleet.js): Fleet tables
// and fleet events encoded by protobufjs (an independent encoder) and
// decoded by the page's codec, the milestone columns, the bounded event
// list and its filters, the node page addresses, and the WebSocket URL a
// page derives from its own location.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import protobuf from 'protobufjs';
import { protoPath, webModule } from '../lib/paths.mjs';
import { loadSchema } from '../lib/assets.mjs';
import { FleetFeed } from '../lib/fleet-feed.mjs';

const { createCodec } = await webModule('codec.js');
const { FleetModel, nodePagePath, nodeHref } = await webModule('fleet.js');
const { defaultWsUrl } = await webModule('client.js');
const codec = createCodec(await loadSchema());

const oracleRoot = protobuf.parse(fs.readFileSync(protoPath, 'utf8'), { keepCase: true }).root;
const SM = oracleRoot.lookupType('peerscope.ServerMessage');

function viaOracle(obj) {
  const bytes = SM.encode(SM.fromObject(obj)).finish();
  return codec.decode('ServerMessage', bytes);
}

test('a Fleet table encoded by protobufjs decodes to the same rows', () => {
  const table = new FleetFeed({ nodes: 20 }).fleet(Date.now());
  const msg = viaOracle({ fleet: table });
  assert.equal(msg.payload, 'fleet');
  const m = new FleetModel();
  m.takeFleet(msg.fleet);
  assert.equal(m.rows.length, 20);
  for (let i = 0; i < 20; i++) {
    const want = table.nodes[i];
    const got = m.rows[i];
    assert.equal(got.name, want.name);
    assert.equal(got.up, want.up);
    assert.equal(got.peer, want.peer_id);
    assert.equal(got.path, want.path);
    assert.equal(got.conns, want.connections);
    assert.equal(got.rateIn, want.rate_in);
    assert.equal(got.crit, want.alerts_critical);
    assert.equal(got.dropped, want.dropped);
    assert.equal(got.reconnects, want.reconnects);
    assert.deepEqual([...got.ms.keys()], want.milestones.map((x) => x.name));
  }
  assert.equal(m.rows[19].error, 'connection refused');
  // one column per milestone name any node reached, in order of first appearance
  assert.deepEqual(m.milestones, ['first_peer', 'peers_8', 'sync_completed']);
  assert.equal(m.totals().up, 19);
});

test('fleet events: Event.node kept, newest first, filtered by node, type and text, bounded', () => {
  const m = new FleetModel(100);
  for (let i = 0; i < 400; i++) {
    const msg = viaOracle({ event: { type: { name: i % 2 ? 'PeerConnected' : 'GossipMessage' }, ts: 1000 + i, seq: i + 1, node: `node-${i % 4}`, content: `{"i":${i}}` } });
    m.addEvent(msg.event);
  }
  assert.equal(m.eventsSeen, 400);
  assert.ok(m.events.length <= 125, `held ${m.events.length}`);
  const all = m.filtered('', '', []);
  assert.equal(all.length, 100);
  assert.equal(all[0].seq, 400); // newest first
  assert.ok(all.every((e, k) => k === 0 || all[k - 1].ts >= e.ts));
  const n1 = m.filtered('node-1', '', []);
  assert.ok(n1.length > 0 && n1.every((e) => e.node === 'node-1'));
  const both = m.filtered('node-1', 'PeerConnected', []);
  assert.ok(both.length > 0 && both.every((e) => e.node === 'node-1' && e.type === 'PeerConnected'));
  assert.equal(m.filtered('node-1', 'GossipMessage', []).length, 0); // node-1 only ever sent odd i
  assert.deepEqual(m.filtered('', '', ['"i":399']).map((e) => e.seq), [400]);
  assert.deepEqual([...m.nodeNames].sort(), ['node-0', 'node-1', 'node-2', 'node-3']);
});

test('a node page: Fleet.Node.path without its trailing introspect', () => {
  assert.equal(nodePagePath('/node/a/introspect'), '/node/a/');
  assert.equal(nodePagePath('/node/b%20c/introspect'), '/node/b%20c/');
  assert.equal(nodePagePath('/node/a/'), '/node/a/');
  assert.equal(nodePagePath(''), '');
  assert.equal(nodePagePath('http://elsewhere/x'), '');
  const loc = new URL('http://127.0.0.1:9000/');
  assert.equal(nodeHref(loc, { path: '/node/a/introspect' }, ''), '/node/a/');
  // a page watching a hub on another origin watches the node's socket there
  const href = nodeHref(loc, { path: '/node/a/introspect' }, 'ws://10.0.0.1:7000/introspect');
  assert.equal(new URL(href, loc).searchParams.get('ws'), 'ws://10.0.0.1:7000/node/a/introspect');
});

test('the page finds its WebSocket next to itself', () => {
  const at = (u) => defaultWsUrl(new URL(u));
  assert.equal(at('http://h:1/'), 'ws://h:1/introspect');
  assert.equal(at('http://h:1/index.html?x=1#view=dht'), 'ws://h:1/introspect');
  assert.equal(at('https://h/'), 'wss://h/introspect');
  assert.equal(at('http://h:1/node/a/'), 'ws://h:1/node/a/introspect');
  assert.equal(at('http://h:1/node/a/index.html'), 'ws://h:1/node/a/introspect');
});
