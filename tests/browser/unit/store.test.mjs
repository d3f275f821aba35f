// The session store without a browser: recordings in, retention, the
// cursor, dropped-event accounting, export.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { vector, webModule } from '../lib/paths.mjs';
import { loadSchema } from '../lib/assets.mjs';

const { createCodec } = await webModule('codec.js');
const { Store } = await webModule('store.js');
const { parseRecording } = await webModule('wire.js');
const codec = createCodec(await loadSchema());

function load(name) {
  const { messages } = parseRecording(fs.readFileSync(vector(name)));
  return messages.map((bytes) => ({ bytes, msg: codec.decode('ServerMessage', bytes) }));
}

test('a recording loads whole, opens on its last state, exports what it read', () => {
  const items = load('sample-dht-2min.mock');
  const store = new Store(codec);
  const changes = [];
  store.subscribe((c) => changes.push(c));
  store.loadRecording('x.mock', items, 0);
  assert.equal(changes.length, 1, 'one notification for the whole file');
  assert.equal(store.states.length, 60);
  assert.equal(store.events.length, 535);
  assert.equal(store.cursorIndex(), 59);
  assert.equal(store.following(), false);
  const cur = store.current();
  assert.equal(cur.view.ts, store.states[59].ts);
  assert.equal(cur.view.conns.length, cur.state.subsystems.connections.length);
  assert.ok(cur.view.dhts[0].buckets.length > 0);
  store.seek(10);
  assert.equal(store.current().view.ts, store.states[10].ts);
  store.seek(-1); // "live" in a file: its last state
  assert.equal(store.cursorIndex(), 59);
  store.seek(10);
  // Export: the runtime, then states and events in file order (responses are not kept).
  const hex = (b) => Buffer.from(b).toString('hex');
  const kept = items.filter((x) => x.msg.payload !== 'response').map((x) => hex(x.bytes));
  const out = parseRecording(store.exportRecording()).messages.map(hex);
  assert.deepEqual(out, kept);
});

test('live: retention trims old states and events, the cursor follows', () => {
  const items = load('sample-1min.mock');
  const store = new Store(codec);
  store.setConfig({ retention_period_ms: 20000, state_snapshot_interval_ms: 2000 });
  for (const { bytes, msg } of items) store.ingest(bytes, msg);
  const span = store.states[store.states.length - 1].ts - store.states[0].ts;
  assert.ok(span <= 22000, `held ${span} ms`);
  assert.ok(store.states.length >= 10 && store.states.length <= 12);
  assert.ok(store.events[0].ts >= store.states[store.states.length - 1].ts - 22000);
  assert.equal(store.following(), true);
  store.seek(2);
  const ts = store.current().view.ts;
  // A new state arrives: the shown state stays the same (its index moves as old ones go).
  const last = items.filter((x) => x.msg.payload === 'state').pop();
  store.ingest(last.bytes, last.msg);
  assert.equal(store.current().view.ts, ts);
  store.seek(-1);
  assert.equal(store.following(), true);
});

test('dropped events: notices and gaps in Event.seq', () => {
  const store = new Store(codec);
  const ev = (seq) => {
    const bytes = codec.encode('ServerMessage', { event: { type: { name: 'T' }, ts: 1000 + seq, content: '{}', seq } });
    return [bytes, codec.decode('ServerMessage', bytes)];
  };
  store.ingest(...ev(1));
  store.ingest(...ev(2));
  store.ingest(...ev(5));
  assert.equal(store.droppedEvents, 2);
  const n = codec.encode('ServerMessage', { notice: { kind: 0, dropped: 7 } });
  store.ingest(n, codec.decode('ServerMessage', n));
  assert.equal(store.droppedEvents, 9);
  assert.equal(store.eventCounts.get('T'), 3);
});

test('rates come from cumulative bytes when the host gives no inst_bw', () => {
  const store = new Store(codec);
  const st = (ts, cum) => {
    const bytes = codec.encode('ServerMessage', { state: {
      instant_ts: ts,
      subsystems: { connections: [{ id: new Uint8Array([1]), peer_id: 'p', traffic: { traffic_in: { cum_bytes: cum }, traffic_out: { cum_bytes: cum / 2 } } }] },
    } });
    return [bytes, codec.decode('ServerMessage', bytes)];
  };
  store.ingest(...st(10000, 1000));
  store.ingest(...st(12000, 5000));
  const v = store.current().view;
  assert.equal(v.conns[0].rateIn, 2000);
  assert.equal(v.conns[0].rateOut, 1000);
  assert.equal(store.states[1].summary.bwIn, 2000);
});
