// The page's wire reader and writer (js/pbwire.js) against protobufjs's
// Reader and Writer, value by value, for every scalar encoding.
import test from 'node:test';
import assert from 'node:assert/strict';
import protobuf from 'protobufjs';
import { webModule } from '../lib/paths.mjs';

const { Reader, Writer, DecodeError, split64 } = await webModule('pbwire.js');
const Long = protobuf.util.Long;

// Integers around every power of two a varint or a 32/64-bit split cares about.
const ints = [0, 1, 2, 126, 127, 128, 255, 256, 16383, 16384];
for (let e = 20; e <= 53; e++) ints.push(2 ** e - 1, 2 ** e, 2 ** e + 1);
ints.push(Number.MAX_SAFE_INTEGER);
const signed = [...ints, ...ints.slice(1).map((v) => -v)];
const i32 = [0, 1, -1, 127, 128, -128, 2 ** 31 - 1, -(2 ** 31), 300, -300];
const u32 = [0, 1, 127, 128, 2 ** 31, 2 ** 32 - 1, 65535];

const asNumber = (v) => (v instanceof Long ? v.toNumber() : v);

const CASES = [
  // [method, values, protobufjs writes a Long for 64-bit ones]
  ['uint32', u32], ['int32', i32], ['sint32', i32], ['fixed32', u32], ['sfixed32', i32],
  ['uint64', ints, true], ['int64', signed, true], ['sint64', signed, true], ['fixed64', ints, true], ['sfixed64', signed, true],
  ['bool', [true, false]], ['double', [0, -0, 1.5, -1e308, 5e-324, Infinity, -Infinity, NaN]], ['float', [0, 1.5, -2.25, 3.4e38, Infinity]],
];

for (const [method, values, is64] of CASES) {
  test(`${method}: written and read like protobufjs`, () => {
    for (const v of values) {
      const unsigned = method === 'uint64' || method === 'fixed64';
      const theirsIn = is64 ? Long.fromNumber(v, unsigned) : v;
      const mine = new Writer(1)[method](v).finish();
      const theirs = protobuf.Writer.create()[method](theirsIn).finish();
      assert.deepEqual(Buffer.from(mine), Buffer.from(theirs), `${method}(${v}) bytes`);
      const r = new Reader(theirs);
      const back = r[method]();
      assert.equal(r.pos, theirs.length, `${method}(${v}) consumes the value`);
      if (method === 'float') assert.equal(back, Math.fround(v));
      else assert.ok(Object.is(back, v), `${method}(${v}) read back as ${back}`);
      assert.ok(Object.is(asNumber(protobuf.Reader.create(mine)[method]()), method === 'float' ? Math.fround(v) : v));
    }
  });
}

test('strings, bytes and lengths around the varint boundaries', () => {
  for (const n of [0, 1, 127, 128, 16383, 16384, 70000]) {
    const s = 'é'.repeat(n >> 1) + 'x'.repeat(n & 1);
    const b = Uint8Array.from({ length: n }, (_, i) => i & 0xff);
    const mine = new Writer(1).string(s).bytes(b).finish();
    assert.deepEqual(Buffer.from(mine), Buffer.from(protobuf.Writer.create().string(s).bytes(b).finish()));
    const r = new Reader(mine);
    assert.equal(r.string(), s);
    assert.deepEqual(r.bytes(), b);
    assert.equal(r.pos, mine.length);
  }
});

test('fork and ldelim nest like protobufjs, whatever the length', () => {
  for (const n of [0, 1, 127, 128, 300, 20000]) {
    const build = (w) => {
      w.uint32(10).fork().uint32(18).fork();
      for (let i = 0; i < n; i++) w.uint32(i);
      return w.ldelim().uint32(7).ldelim().uint32(1).finish();
    };
    assert.deepEqual(Buffer.from(build(new Writer(1))), Buffer.from(build(protobuf.Writer.create())), `content of ${n}`);
  }
  assert.throws(() => new Writer().fork().finish(), /unfinished fork/);
});

test('64-bit halves of Numbers, BigInts, strings and Longs', () => {
  assert.deepEqual(split64(-1), [0xffffffff, 0xffffffff]);
  assert.deepEqual(split64(2 ** 32), [0, 1]);
  assert.deepEqual(split64(-(2 ** 32)), [0, 0xffffffff]);
  assert.deepEqual(split64(1.9), [1, 0]);
  assert.deepEqual(split64(-0), [0, 0]);
  assert.deepEqual(split64(NaN), [0, 0]);
  assert.deepEqual(split64(2n ** 64n - 1n), [0xffffffff, 0xffffffff]);
  assert.deepEqual(split64(-2n), [0xfffffffe, 0xffffffff]);
  assert.deepEqual(split64('18446744073709551615'), [0xffffffff, 0xffffffff]);
  assert.deepEqual(split64('-3'), [0xfffffffd, 0xffffffff]);
  assert.deepEqual(split64(Long.fromString('9223372036854775807')), [0xffffffff, 0x7fffffff]);
});

test('varints: ten bytes at most, high bits kept, truncation refused', () => {
  const r = new Reader(new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]));
  assert.equal(r.varint(), 0xffffffff);
  assert.equal(r.hi, 0xffffffff);
  // uint32 of a wider varint keeps the low 32 bits, like every runtime.
  assert.equal(new Reader(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x10])).uint32(), 0);
  assert.equal(new Reader(new Uint8Array([0x80, 0x80, 0x80, 0x80, 0x10])).bool(), true);
  assert.throws(() => new Reader(new Uint8Array(Array(10).fill(0x80).concat([1]))).varint(), DecodeError);
  for (let n = 0; n < 10; n++) {
    assert.throws(() => new Reader(new Uint8Array(Array(n).fill(0x80))).varint(), DecodeError, `${n} continuation bytes`);
  }
  assert.throws(() => new Reader(new Uint8Array([3, 1, 2])).bytes(), DecodeError);
  assert.throws(() => new Reader(new Uint8Array([1, 2, 3])).fixed32(), DecodeError);
  assert.throws(() => new Reader(new Uint8Array(7)).double(), DecodeError);
});
