// Framing: FNV-1a, the 12-byte live header, the recording file layout.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { vector, webModule } from '../lib/paths.mjs';

const { fnv1a, parseFrame, buildFrame, parseRecording, buildRecording, FrameError } = await webModule('wire.js');
const enc = (s) => new TextEncoder().encode(s);

test('FNV-1a 32-bit reference values', () => {
  assert.equal(fnv1a(enc('')), 0x811c9dc5);
  assert.equal(fnv1a(enc('a')), 0xe40c292c);
  assert.equal(fnv1a(enc('foobar')), 0xbf9cf968);
});

test('a frame round-trips and every header fault is named', () => {
  const payload = enc('hello introspection');
  const frame = buildFrame(payload);
  assert.equal(frame.length, 12 + payload.length);
  assert.deepEqual(parseFrame(frame.buffer), payload);
  const kind = (f) => { try { parseFrame(f); return 'ok'; } catch (e) { assert.ok(e instanceof FrameError); return e.kind; } };
  assert.equal(kind(frame.slice(0, 11)), 'short');
  const v = frame.slice(); v[0] = 2;
  assert.equal(kind(v), 'version');
  const c = frame.slice(); c[20] ^= 1;
  assert.equal(kind(c), 'checksum');
  assert.equal(kind(frame.slice(0, frame.length - 1)), 'length');
  assert.equal(kind(buildFrame(new Uint8Array())), 'ok');
});

test('a recording round-trips byte for byte', () => {
  const file = new Uint8Array(fs.readFileSync(vector('sample-1min.mock')));
  const { messages, skipped, truncated } = parseRecording(file);
  assert.equal(messages.length, 969);
  assert.equal(skipped, 0);
  assert.equal(truncated, false);
  assert.deepEqual(buildRecording(messages), file);
});

test('bad records are skipped, a cut end is reported', () => {
  const msgs = [enc('one'), enc('two'), enc('three')];
  const file = buildRecording(msgs);
  const bad = file.slice();
  bad[4 + 8 + 3 + 8] ^= 0xff; // first byte of "two"
  const r = parseRecording(bad);
  assert.deepEqual(r.messages.map((m) => new TextDecoder().decode(m)), ['one', 'three']);
  assert.equal(r.skipped, 1);
  const cut = parseRecording(file.slice(0, file.length - 2));
  assert.equal(cut.messages.length, 2);
  assert.equal(cut.truncated, true);
  assert.throws(() => parseRecording(new Uint8Array([2, 0, 0, 0])), (e) => e.kind === 'version');
  assert.throws(() => parseRecording(new Uint8Array([1, 0])), (e) => e.kind === 'short');
  assert.equal(parseRecording(new Uint8Array([1, 0, 0, 0])).messages.length, 0);
});
