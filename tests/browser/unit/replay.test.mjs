// A replaying endpoint's session in the store and the seek logic, without a
// browser: states held in time order whatever order they come in (seek
// answers, a loop restart), what a seek finds held and what it must ask
// for, one request out at a time; a live session and a file as before.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { vector, webModule } from '../lib/paths.mjs';
import { loadSchema } from '../lib/assets.mjs';

const { createCodec } = await webModule('codec.js');
const { Store } = await webModule('store.js');
const { Seeker } = await webModule('seek.js');
const { parseRecording } = await webModule('wire.js');
const { insertInOrder, upperBound, lowerBound, atOrBefore, indexOfEntry } = await webModule('timeorder.js');
const codec = createCodec(await loadSchema());

const item = (obj) => {
  const bytes = codec.encode('ServerMessage', obj);
  return { bytes, msg: codec.decode('ServerMessage', bytes) };
};

function load(name) {
  const { messages } = parseRecording(fs.readFileSync(vector(name)));
  return messages.map((bytes) => ({ bytes, msg: codec.decode('ServerMessage', bytes) }));
}

const rec = load('sample-dht-2min.mock');
const recStates = rec.filter((x) => x.msg.payload === 'state');
const recRuntime = rec.find((x) => x.msg.payload === 'runtime');
const times = recStates.map((x) => x.msg.state.instant_ts);
const START = times[0];
const END = times[times.length - 1] + 500;

/** A store in a session with a replaying endpoint of the recording. */
function replayStore(recording = {}) {
  const store = new Store(codec);
  const rt = { ...recRuntime.msg.runtime, event_types: recRuntime.msg.runtime.event_types };
  store.ingest(...Object.values(item({ runtime: { ...rt, recording: { start_ts: START, end_ts: END, speed: 1, loop: true, source: 'x.mock', state_count: times.length, ...recording } } })));
  return store;
}

const push = (store, k) => store.ingest(recStates[k].bytes, recStates[k].msg);
const heldTimes = (store) => store.states.map((e) => e.ts);
const sorted = (a) => a.every((x, i) => i === 0 || a[i - 1] <= x);

test('timeorder: bounds, insertion after equals, a record received twice is held once', () => {
  const list = [];
  const e = (ts, seq) => ({ ts, seq });
  const same = (a, b) => a.seq === b.seq;
  for (const x of [e(30, 3), e(10, 1), e(20, 2), e(20, 9), e(40, 4)]) insertInOrder(list, x, same);
  assert.deepEqual(list.map((x) => x.seq), [1, 2, 9, 3, 4]);
  assert.equal(upperBound(list, 20), 3);
  assert.equal(lowerBound(list, 20), 1);
  assert.equal(atOrBefore(list, 25), 2);
  assert.equal(atOrBefore(list, 5), -1);
  const again = insertInOrder(list, e(20, 2), same);
  assert.equal(again.inserted, false);
  assert.equal(again.entry, list[1]);
  assert.equal(list.length, 5);
  assert.equal(indexOfEntry(list, list[2]), 2);
  assert.equal(indexOfEntry(list, e(20, 9)), -1, 'by identity, not by value');
});

test('replay: pushed states cover the time up to the next one, the rest is asked for', () => {
  const store = replayStore();
  assert.ok(store.replay, 'Runtime.recording makes it a replay');
  for (let k = 0; k < 5; k++) push(store, k);
  assert.deepEqual(heldTimes(store), times.slice(0, 5));
  assert.equal(store.heldAt(times[1]), 1);
  assert.equal(store.heldAt(times[2] - 1), 1, 'between two pushed states: the earlier one');
  assert.equal(store.heldAt(times[4]), 4);
  assert.equal(store.heldAt(times[4] + 1), -1, 'after the replay position: not known yet');
  assert.equal(store.heldAt(START - 1), -1);
  assert.equal(store.cursorIndex(), 4);
  assert.equal(store.following(), true);
});

test('replay: a gap in State.seq (a state that did not arrive) leaves its time to be asked for', () => {
  const store = replayStore();
  const st = (k, seq) => item({ state: Object.assign(Object.create(recStates[k].msg.state), { seq }) });
  for (const [k, seq] of [[0, 11], [1, 12], [3, 14]]) store.ingest(...Object.values(st(k, seq)));
  assert.equal(store.heldAt(times[1] - 1), 0, 'consecutive seq: covered');
  assert.equal(store.heldAt(times[2]), -1, 'after the gap: asked for');
  assert.equal(store.heldAt(times[3]), 2);
});

test('replay: seek answers land in time order, the shown state stays shown', () => {
  const store = replayStore();
  for (let k = 20; k < 24; k++) push(store, k);
  store.seek(1); // shows times[21]
  const shown = store.current().entry;
  const at = times[5] + 10;
  const i = store.addAnswer(at, recStates[5].msg.state);
  assert.equal(i, 0);
  assert.deepEqual(heldTimes(store), [times[5], ...times.slice(20, 24)]);
  assert.equal(store.current().entry, shown, 'an insertion before the cursor moves the cursor with it');
  assert.equal(store.heldAt(at), 0, 'the answer covers the time asked for');
  assert.equal(store.heldAt(at + 1), -1, 'but not later: the next recorded state may come first');
  // The same state pushed later is not held twice.
  push(store, 5);
  assert.equal(store.states.length, 5);
  // The replay position is the state pushed last, even though it is not the newest time.
  store.seek(-1);
  assert.equal(store.current().entry.ts, times[5]);
  assert.equal(store.replayStats.seekAnswers, 1);
  assert.ok(store.current().view.conns.length >= 0);
});

test('replay: a loop restart keeps the order and holds nothing twice', () => {
  const store = replayStore();
  const n = times.length;
  for (const x of rec) if (x.msg.payload !== 'runtime') store.ingest(x.bytes, x.msg); // one pass, events too
  const evCount = store.events.length;
  assert.ok(evCount > 0);
  assert.equal(store.heldAt(END), -1, 'the last state is not known to be the last before the loop comes round');
  for (let k = 0; k < 3; k++) push(store, k); // time jumps back
  assert.equal(store.replayStats.loops, 1);
  assert.equal(store.states.length, n);
  assert.ok(sorted(heldTimes(store)));
  assert.equal(store.heldAt(END), n - 1, 'time going back says the state before was the last one');
  assert.equal(store.cursorIndex(), 2, 'following: the replay position after the restart');
  // Events of the next pass are held once as well.
  const ev = rec.find((x) => x.msg.payload === 'event');
  store.ingest(ev.bytes, ev.msg);
  assert.equal(store.events.length, evCount);
  assert.ok(sorted(store.events.map((e) => e.ts)));
  // The export of a replay is in time order.
  const out = parseRecording(store.exportRecording()).messages.map((b) => codec.decode('ServerMessage', b));
  const ts = out.filter((m) => m.payload === 'state').map((m) => m.state.instant_ts);
  assert.deepEqual(ts, times);
});

test('live (no Runtime.recording) and a 2020 endpoint: arrival order, as before', () => {
  const store = new Store(codec);
  store.ingest(recRuntime.bytes, recRuntime.msg);
  assert.equal(store.replay, null);
  store.setConfig({ retention_period_ms: 3600000 });
  for (const k of [3, 1, 2]) push(store, k);
  assert.deepEqual(heldTimes(store), [times[3], times[1], times[2]]);
  assert.equal(store.cursorIndex(), 2);
  store.seek(2);
  assert.equal(store.following(), true, 'the last index follows in a live session');
});

test('a recording file is held in time order (the same code as a replay)', () => {
  const items = rec.filter((x) => x.msg.payload !== 'state');
  const shuffled = [recStates[3], recStates[0], recStates[2], recStates[1], ...recStates.slice(4)];
  const store = new Store(codec);
  store.loadRecording('x.mock', [...items.slice(0, 1), ...shuffled, ...items.slice(1)], 0);
  assert.deepEqual(heldTimes(store), times);
  assert.ok(sorted(store.events.map((e) => e.ts)));
  assert.equal(store.cursorIndex(), times.length - 1);
});

test('replay: the number of states held is bounded, far from the shown one goes first', () => {
  const store = replayStore();
  store.seek(-1);
  // 2,000 distinct answers, then more: the count stays at the bound.
  const base = recStates[0].msg.state;
  const answer = (i) => store.addAnswer(START + i * 10, Object.assign(Object.create(base), { instant_ts: START + i * 10, seq: i + 1 }));
  for (let i = 0; i < 2010; i++) answer(i);
  assert.equal(store.states.length, 2000);
  assert.ok(sorted(heldTimes(store)));
  // Shown near the start: the latest times go.
  store.seek(3);
  const shown = store.current().entry;
  for (let i = 2010; i < 2020; i++) answer(i);
  assert.equal(store.states.length, 2000);
  assert.equal(store.current().entry, shown);
  assert.ok(store.states[store.states.length - 1].ts < START + 2010 * 10);
  // Shown near the end: the earliest go.
  store.seek(1990);
  const late = store.current().entry;
  const first = store.states[0].ts;
  for (let i = 0; i < 5; i++) store.addAnswer(START + 5 + i * 10, Object.assign(Object.create(base), { instant_ts: START + 5 + i * 10, seq: 5000 + i }));
  assert.equal(store.current().entry, late);
  assert.ok(store.states[0].ts >= first);
  assert.equal(store.states.length, 2000);
});

/** A Seeker whose requests the test answers by hand. */
function seekerOn(store) {
  const asked = [];
  const seeker = new Seeker({
    store,
    request: (at) => new Promise((resolve) => asked.push({ at, resolve })),
  });
  return { seeker, asked };
}

const stateAt = (ts) => {
  let k = -1;
  for (let i = 0; i < times.length; i++) if (times[i] <= ts) k = i;
  return k < 0 ? null : recStates[k].msg.state;
};

test('seek: a held time needs no request; any other is asked for once and shown', async () => {
  const store = replayStore();
  for (let k = 0; k < 3; k++) push(store, k);
  const { seeker, asked } = seekerOn(store);
  assert.deepEqual(seeker.span(), { start: START, end: END });
  seeker.seekTo(times[1] + 5);
  assert.equal(asked.length, 0);
  assert.equal(store.cursorIndex(), 1);
  const target = times[40] + 7;
  seeker.seekTo(target);
  assert.equal(asked.length, 1);
  assert.equal(asked[0].at, target);
  assert.equal(seeker.status().pending, target);
  asked[0].resolve({ result: 0, state: stateAt(target) });
  await new Promise(setImmediate);
  assert.equal(seeker.status().pending, null);
  assert.equal(store.current().entry.ts, times[40]);
  assert.equal(store.following(), false);
  // Out of the recording's span: clamped to it.
  seeker.seekTo(END + 60000);
  assert.equal(asked[1].at, END);
});

test('seek: while a request is out, only the newest wish is asked next', async () => {
  const store = replayStore();
  push(store, 0);
  const { seeker, asked } = seekerOn(store);
  seeker.seekTo(times[10]);
  seeker.seekTo(times[11]);
  seeker.seekTo(times[12]);
  assert.equal(asked.length, 1, 'one request out at a time');
  asked[0].resolve({ result: 0, state: stateAt(times[10]) });
  await new Promise(setImmediate);
  assert.equal(asked.length, 2);
  assert.equal(asked[1].at, times[12]);
  assert.equal(store.heldAt(times[10]) >= 0, true, 'the answer nobody waits for is kept');
  assert.notEqual(store.current().entry.ts, times[10], 'but not shown');
  asked[1].resolve({ result: 0, state: stateAt(times[12]) });
  await new Promise(setImmediate);
  assert.equal(store.current().entry.ts, times[12]);
  assert.ok(sorted(heldTimes(store)));
});

test('seek: a refusal or a lost connection is reported, nothing is shown', async () => {
  const store = replayStore();
  push(store, 0);
  const seeker = new Seeker({ store, request: () => Promise.resolve({ result: 1, error: 'no recorded state', state: null }) });
  seeker.seekTo(times[30]);
  await new Promise(setImmediate);
  assert.equal(seeker.status().error, 'no recorded state');
  assert.equal(seeker.status().pending, null);
  assert.equal(store.states.length, 1);
  const gone = new Seeker({ store, request: () => Promise.reject(new Error('connection closed')) });
  gone.seekTo(times[30]);
  await new Promise(setImmediate);
  assert.equal(gone.status().error, 'connection closed');
  gone.cancel();
  assert.equal(gone.status().error, '');
});

test('seek: an answer that comes after the session changed is not taken', async () => {
  const store = replayStore();
  push(store, 0);
  const { seeker, asked } = seekerOn(store);
  seeker.seekTo(times[30]);
  store.loadRecording('other.mock', rec, 0); // a file opened meanwhile
  const held = store.states.length;
  asked[0].resolve({ result: 0, state: stateAt(times[30]) });
  await new Promise(setImmediate);
  assert.equal(store.states.length, held);
  assert.equal(store.replayStats.seekAnswers, 0);
  assert.equal(seeker.status().pending, null);
});
