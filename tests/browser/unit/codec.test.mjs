// The visualizer's codec (js/codec.js over js/pbwire.js, driven by the
// schema module the build generates) against protobufjs's own generated
// decoder and encoder (allowed in Node, not under the page's CSP): every
// message of the 2020 recordings in tests/data, the schema itself, every field
// shape (all-types.proto), and hand-made edge cases.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import { protoPath, vector, webModule } from '../lib/paths.mjs';
import { loadSchema, generateSchema } from '../lib/assets.mjs';
import { schemaFromProtobufjs } from '../lib/pbjs-schema.mjs';

const { createCodec, DecodeError } = await webModule('codec.js');
const { parseRecording } = await webModule('wire.js');

const protoText = fs.readFileSync(protoPath, 'utf8');
const schema = await loadSchema();
const codec = createCodec(schema);
const oracleRoot = protobuf.parse(protoText, { keepCase: true }).root.resolveAll();
const OracleSM = oracleRoot.lookupType('peerscope.ServerMessage');
const toObj = (T, m) => T.toObject(m, { longs: Number, enums: Number, bytes: Array, oneofs: true });

const allTypesPath = path.join(path.dirname(fileURLToPath(import.meta.url)), 'all-types.proto');
const allTypesText = fs.readFileSync(allTypesPath, 'utf8');
const allRoot = protobuf.parse(allTypesText, { keepCase: true }).root.resolveAll();
const All = allRoot.lookupType('alltypes.All');
const allCodec = createCodec(await generateSchema(allTypesPath));

// Own properties only: the fields that were on the wire.
function plain(v) {
  if (v instanceof Uint8Array) return Array.from(v);
  if (Array.isArray(v)) return v.map(plain);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v)) o[k] = plain(v[k]);
    return o;
  }
  return v;
}

const recordings = ['sample-1min.mock', 'sample-dht-2min.mock'].map((name) => {
  const { messages, skipped, truncated } = parseRecording(fs.readFileSync(vector(name)));
  assert.equal(skipped, 0);
  assert.equal(truncated, false);
  return { name, messages };
});

for (const { name, messages } of recordings) {
  test(`decodes every message of ${name} like protobufjs`, () => {
    assert.ok(messages.length > 500);
    const kinds = {};
    for (const bytes of messages) {
      const mine = codec.decode('ServerMessage', bytes);
      const want = toObj(OracleSM, OracleSM.decode(bytes));
      assert.deepEqual(plain(mine), want);
      kinds[mine.payload] = (kinds[mine.payload] || 0) + 1;
      // Re-encoding loses nothing, and gives protobufjs's bytes back.
      const again = codec.encode('ServerMessage', mine);
      assert.deepEqual(toObj(OracleSM, OracleSM.decode(again)), want);
      assert.deepEqual(Buffer.from(again), Buffer.from(OracleSM.encode(OracleSM.decode(bytes)).finish()));
    }
    assert.ok(kinds.runtime === 1 && kinds.state >= 30 && kinds.event > 500);
  });
}

// ------------------------------------------------------------------ the schema

const SCALAR_TYPES = new Set(['double', 'float', 'int32', 'int64', 'uint32', 'uint64', 'sint32', 'sint64',
  'fixed32', 'fixed64', 'sfixed32', 'sfixed64', 'bool', 'string', 'bytes']);

function eachReflected(ns, fn) {
  for (const n of ns.nestedArray) {
    fn(n);
    if (n instanceof protobuf.Namespace) eachReflected(n, fn);
  }
}

/** Check a generated schema against protobufjs's parse of the same .proto, object by object. */
function checkSchema(gen, root, pkg) {
  const rel = (t) => t.fullName.slice(pkg.length + 2);
  const seenMessages = new Set();
  const seenEnums = new Set();
  assert.equal(gen.package, pkg);
  eachReflected(root, (n) => {
    if (n instanceof protobuf.Type) {
      const name = rel(n);
      seenMessages.add(name);
      const m = gen.messages[name];
      assert.ok(m, `message ${name} is in the schema`);
      assert.deepEqual(m.oneofs, n.oneofsArray.map((o) => o.name), `${name}: oneofs`);
      assert.deepEqual(m.fields.map((f) => f.name), n.fieldsArray.map((f) => f.name), `${name}: fields in .proto order`);
      for (const f of n.fieldsArray) {
        const g = m.fields.find((x) => x.name === f.name);
        const where = `${name}.${f.name}`;
        assert.equal(g.number, f.id, `${where}: number`);
        const rt = f.resolvedType;
        if (rt instanceof protobuf.Type) assert.deepEqual([g.message, g.enum, g.type], [rel(rt), undefined, undefined], `${where}: message type`);
        else if (rt instanceof protobuf.Enum) assert.deepEqual([g.message, g.enum, g.type], [undefined, rel(rt), undefined], `${where}: enum type`);
        else assert.deepEqual([g.message, g.enum, g.type], [undefined, undefined, f.type], `${where}: scalar type`);
        if (g.type) assert.ok(SCALAR_TYPES.has(g.type), `${where}: ${g.type} is a scalar`);
        assert.equal(!!g.map, !!f.map, `${where}: map`);
        assert.equal(g.key, f.map ? f.keyType : undefined, `${where}: map key`);
        assert.equal(!!g.repeated, f.repeated && !f.map, `${where}: repeated`);
        const packable = g.repeated && !g.message && g.type !== 'string' && g.type !== 'bytes';
        assert.equal(!!g.packed, !!(packable && f.packed), `${where}: packed`);
        assert.equal(g.oneof, f.partOf ? f.partOf.name : undefined, `${where}: oneof`);
      }
    } else if (n instanceof protobuf.Enum) {
      const name = rel(n);
      seenEnums.add(name);
      assert.deepEqual(gen.enums[name], { ...n.values }, `enum ${name}`);
      assert.deepEqual(Object.keys(gen.enums[name]), Object.keys(n.values), `enum ${name}: declaration order`);
    }
  });
  assert.deepEqual(Object.keys(gen.messages).sort(), [...seenMessages].sort(), 'no message the .proto lacks');
  assert.deepEqual(Object.keys(gen.enums).sort(), [...seenEnums].sort(), 'no enum the .proto lacks');
}

test('the generated schema describes peerscope.proto as protobufjs parses it', () => {
  checkSchema(schema, oracleRoot, 'peerscope');
  assert.ok(Object.keys(schema.messages).length >= 50);
  // Deeply frozen: the page cannot change what it decodes with.
  assert.ok(Object.isFrozen(schema) && Object.isFrozen(schema.messages.Connection.fields[0]) && Object.isFrozen(schema.enums.Status));
  // protobufjs, parsing the .proto on its own, sees the very schema the build generated.
  assert.deepEqual(schemaFromProtobufjs(protobuf, protoText), JSON.parse(JSON.stringify(schema)));
});

test('the generator describes every field shape (all-types.proto) as protobufjs parses it', () => {
  checkSchema(allCodec.schema, allRoot, 'alltypes');
  const f = Object.fromEntries(allCodec.schema.messages.All.fields.map((x) => [x.name, x]));
  assert.equal(f.r_unpacked.packed, undefined);
  assert.equal(f.r_sint64.packed, true);
  assert.deepEqual(f.m_int64_sub, { name: 'm_int64_sub', number: 31, map: true, key: 'int64', message: 'Sub' });
  assert.deepEqual(schemaFromProtobufjs(protobuf, allTypesText), JSON.parse(JSON.stringify(allCodec.schema)));
});

test('absent fields of every message read as proto3 defaults through the prototype', () => {
  const defaults = { double: 0, float: 0, int32: 0, int64: 0, uint32: 0, uint64: 0, sint32: 0, sint64: 0,
    fixed32: 0, fixed64: 0, sfixed32: 0, sfixed64: 0, bool: false, string: '' };
  let checked = 0;
  eachReflected(oracleRoot, (t) => {
    if (!(t instanceof protobuf.Type)) return;
    const m = codec.decode(t.fullName.slice(1), new Uint8Array(0));
    assert.deepEqual(Object.keys(m), [], `${t.fullName}: no own fields`);
    for (const f of t.fieldsArray) {
      const v = m[f.name];
      const where = `${t.fullName}.${f.name}`;
      if (f.map) assert.deepEqual(v, {}, where);
      else if (f.repeated) assert.deepEqual(v, [], where);
      else if (f.resolvedType instanceof protobuf.Type) assert.equal(v, null, where);
      else if (f.resolvedType instanceof protobuf.Enum) assert.equal(v, 0, where);
      else if (f.type === 'bytes') assert.ok(v instanceof Uint8Array && v.length === 0, where);
      else assert.equal(v, defaults[f.type], where);
      checked++;
    }
    for (const o of t.oneofsArray) assert.equal(m[o.name], null, `${t.fullName}.${o.name}`);
  });
  assert.ok(checked > 200, `${checked} fields`);
  const s = codec.decode('ServerMessage', new Uint8Array([0x12, 0x00])); // state: {}
  assert.equal(s.payload, 'state');
  assert.equal(s.state.subsystems, null);
  assert.equal(s.runtime, null);
});

// ------------------------------------------------------------------ encoding

const withoutZeros = (o) => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== 0));

test('client commands round-trip through protobufjs', () => {
  const V = codec.enumValues('ClientCommand.Command');
  const S = codec.enumValues('ClientCommand.Source');
  const T = oracleRoot.lookupType('peerscope.ClientCommand');
  for (const command of Object.values(V)) {
    for (const source of Object.values(S)) {
      const obj = {
        id: 2 ** 40 + command * 3 + source, command, source, version: { version: 1 },
        config: { retention_period_ms: 120000, state_snapshot_interval_ms: 500, delta_states: true, full_state_every: 60 },
      };
      const bytes = codec.encode('ClientCommand', obj);
      const want = withoutZeros(obj); // proto3 does not write defaults
      assert.deepEqual(toObj(T, T.decode(bytes)), want);
      assert.deepEqual(plain(codec.decode('ClientCommand', bytes)), want);
      assert.deepEqual(Buffer.from(bytes), Buffer.from(T.encode(T.fromObject(obj)).finish()));
    }
  }
  // HELLO with id 0 and no config is the empty message: defaults are not written.
  assert.equal(codec.encode('ClientCommand', { id: 0, command: V.HELLO }).length, 0);
});

test('64-bit values beyond 2^32, and negative int32 and int64, like protobufjs', () => {
  const big = [2 ** 32, 2 ** 32 + 1, 2 ** 40 + 5, 2 ** 52 + 3, Number.MAX_SAFE_INTEGER];
  const State = oracleRoot.lookupType('peerscope.State');
  for (const v of big) {
    const bytes = codec.encode('State', { instant_ts: v, seq: v - 1 });
    assert.deepEqual(toObj(State, State.decode(bytes)), { instant_ts: v, seq: v - 1 });
    const back = codec.decode('State', State.encode(State.fromObject({ instant_ts: v, seq: v - 1 })).finish());
    assert.equal(back.instant_ts, v);
    assert.equal(back.seq, v - 1);
  }
  // Above 2^53 a Number is rounded; a decimal string or a BigInt is written exactly.
  const top = State.decode(codec.encode('State', { instant_ts: '18446744073709551615', seq: 2n ** 63n }));
  assert.equal(top.instant_ts.toString(), '18446744073709551615');
  assert.equal(top.seq.toString(), '9223372036854775808');
  assert.equal(codec.decode('State', codec.encode('State', { seq: '18446744073709551615' })).seq, 2 ** 64);

  const Tag = oracleRoot.lookupType('peerscope.Peerstore.Tag');
  const PE = oracleRoot.lookupType('peerscope.ProviderError');
  for (const v of [-1, -2, -(2 ** 31), -(2 ** 32), -(2 ** 40) - 3, -Number.MAX_SAFE_INTEGER]) {
    const bytes = codec.encode('Peerstore.Tag', { name: 't', value: v });
    assert.equal(bytes.length, 2 + 1 + 1 + 10, 'a negative int64 takes ten bytes');
    assert.deepEqual(toObj(Tag, Tag.decode(bytes)), { name: 't', value: v });
    assert.equal(codec.decode('Peerstore.Tag', Tag.encode(Tag.fromObject({ value: v })).finish()).value, v);
  }
  for (const v of [-1, -5, -(2 ** 31), 2 ** 31 - 1]) {
    const bytes = codec.encode('ProviderError', { code: v });
    assert.deepEqual(Buffer.from(bytes), Buffer.from(PE.encode(PE.fromObject({ code: v })).finish()));
    assert.equal(codec.decode('ProviderError', bytes).code, v);
  }
  // protobufjs hands out Long objects for 64-bit fields; the codec writes them too.
  const long = protobuf.util.Long.fromString('1099511627781', true);
  assert.equal(codec.decode('State', codec.encode('State', { seq: long })).seq, 2 ** 40 + 5);
});

test('enums: negative and unknown values stay numbers', () => {
  const Sign = allCodec.enumValues('Sign');
  assert.deepEqual(Sign, { ZERO: 0, MINUS_ONE: -1, BIG: 2147483647, SMALL: -2147483648 });
  for (const v of [...Object.values(Sign), 12345]) {
    const bytes = allCodec.encode('All', { f_enum: v, r_enum: [v, 0, v] });
    assert.deepEqual(All.toObject(All.decode(bytes), { enums: Number }), withoutZeros({ f_enum: v, r_enum: [v, 0, v] }));
    const back = allCodec.decode('All', All.encode(All.fromObject({ f_enum: v, r_enum: [v] })).finish());
    assert.equal(back.f_enum, v);
    assert.deepEqual(back.r_enum, [v]);
  }
  // A peerscope connection whose status this page does not know (a newer host).
  const c = codec.decode('Connection', new Uint8Array([0x18, 0x09]));
  assert.equal(c.status, 9);
  assert.equal(codec.enumNames('Status')[c.status], undefined);
});

// One message with every field shape set, beyond 32 bits where it can be.
const EVERYTHING = {
  f_double: -1.5e300, f_float: 3.25, f_int32: -7, f_int64: -(2 ** 50), f_uint32: 4294967295, f_uint64: 2 ** 53 - 1,
  f_sint32: -2147483648, f_sint64: -(2 ** 45) - 1, f_fixed32: 4294967295, f_fixed64: 2 ** 52 + 1,
  f_sfixed32: -2, f_sfixed64: -(2 ** 40), f_bool: true, f_string: 'héllo ✓ 𝄞', f_bytes: [0, 255, 7], f_enum: -1,
  f_sub: { a: 1, child: { a: -2, child: { a: 3 } } }, f_nested: { kind: 1, s: 'n' },
  r_int32: [1, -1, 2147483647], r_sint64: [0, -1, 1, 2 ** 40, -(2 ** 40)], r_double: [0.5, -0, Infinity],
  r_fixed32: [1, 2], r_enum: [-2147483648, 2147483647], r_string: ['', 'a', 'bc'], r_bytes: [[], [1], [2, 3]],
  r_sub: [{ a: 1 }, {}, { child: {} }], r_unpacked: [1, 2 ** 33, 0],
  m_string_int32: { a: 1, '': -1, 'ü': 5 }, m_int64_sub: { '-5': { a: 1 }, 1099511627776: { a: 2 } },
  m_bool_string: { true: 'x', false: 'y' }, m_uint32_enum: { 7: -1, 0: 0 },
  c_sub: { a: 9 }, choice: 'c_sub', o_bool: false, other: 'o_bool', high_number: 1,
};
const allObj = (m) => All.toObject(m, { longs: Number, enums: Number, bytes: Array, oneofs: true });

test('every field shape round-trips through protobufjs both ways', () => {
  const mine = allCodec.encode('All', { ...EVERYTHING, f_bytes: Uint8Array.from(EVERYTHING.f_bytes), r_bytes: EVERYTHING.r_bytes.map((b) => Uint8Array.from(b)) });
  const want = allObj(All.fromObject(EVERYTHING));
  assert.deepEqual(allObj(All.decode(mine)), want);
  const theirs = All.encode(All.fromObject(EVERYTHING)).finish();
  const back = allCodec.decode('All', theirs);
  assert.deepEqual(plain(back), want);
  assert.ok(Object.is(back.r_double[1], -0));
  assert.equal(back.choice, 'c_sub');
  assert.equal(back.other, 'o_bool');
  assert.equal(back.o_bool, false, 'a set oneof member is kept even when it is the default');
  assert.ok(Object.hasOwn(back, 'o_bool'));
  // Same bytes as protobufjs, field for field (both write in field-number order).
  assert.deepEqual(allObj(All.decode(allCodec.encode('All', back))), want);
});

test('packed repeated: written packed unless [packed=false], read either way', () => {
  const P = allRoot.lookupType('alltypes.All');
  const packed = allCodec.encode('All', { r_int32: [1, 2, 3] });
  assert.deepEqual(Array.from(packed), [0xa2, 0x01, 0x03, 1, 2, 3]);
  const unpacked = allCodec.encode('All', { r_unpacked: [1, 2] });
  assert.deepEqual(Array.from(unpacked), [0xe0, 0x01, 1, 0xe0, 0x01, 2]);
  // Both encodings of both fields, interleaved, append in order.
  const mixed = new Uint8Array([0xa0, 0x01, 5, 0xa2, 0x01, 0x02, 6, 7, 0xa0, 0x01, 8, 0xe2, 0x01, 0x02, 9, 10]);
  assert.deepEqual(allCodec.decode('All', mixed).r_int32, [5, 6, 7, 8]);
  assert.deepEqual(allCodec.decode('All', mixed).r_unpacked, [9, 10]);
  assert.deepEqual(P.toObject(P.decode(mixed)).r_int32, [5, 6, 7, 8]);
  // A peerscope one: StateDelta.RemovedBuckets.cpls.
  const RB = oracleRoot.lookupType('peerscope.StateDelta.RemovedBuckets');
  const rb = codec.encode('StateDelta.RemovedBuckets', { dht: 1, cpls: [0, 200, 3] });
  assert.deepEqual(Buffer.from(rb), Buffer.from(RB.encode(RB.fromObject({ dht: 1, cpls: [0, 200, 3] })).finish()));
  assert.deepEqual(codec.decode('StateDelta.RemovedBuckets', new Uint8Array([0x10, 4, 0x10, 5])).cpls, [4, 5]);
  assert.throws(() => codec.decode('StateDelta.RemovedBuckets', new Uint8Array([0x12, 0x02, 0x80, 0x80])), DecodeError);
});

test('a set oneof member is written even when it is the default', () => {
  const bytes = codec.encode('CustomSection.Value', { name: 'x', value: 'integer', integer: 0 });
  const T = oracleRoot.lookupType('peerscope.CustomSection.Value');
  assert.deepEqual(toObj(T, T.decode(bytes)), { name: 'x', integer: 0, value: 'integer' });
  const back = codec.decode('CustomSection.Value', bytes);
  assert.equal(back.value, 'integer');
  assert.equal(back.integer, 0);
  // The last member on the wire wins; the other is gone.
  const two = new Uint8Array([0x10 | 1, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f, 0x1a, 0x01, 0x61]); // number 1.0, then text "a"
  const m = codec.decode('CustomSection.Value', two);
  assert.equal(m.value, 'text');
  assert.equal(m.text, 'a');
  assert.ok(!Object.hasOwn(m, 'number'));
  assert.deepEqual(toObj(T, T.decode(two)), { text: 'a', value: 'text' });
});

// ------------------------------------------------------------------ bad and unusual input

test('unknown fields of every wire type are skipped, known ones kept', () => {
  const bytes = new Uint8Array([
    0xc0, 0x3e, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01, // 1000: varint, ten bytes
    0x08, 0x01, // version = 1
    0xc9, 0x3e, 1, 2, 3, 4, 5, 6, 7, 8, // 1001: 64-bit
    0xd2, 0x3e, 0x03, 0x08, 0x02, 0x00, // 1002: length-delimited
    0xdd, 0x3e, 1, 2, 3, 4, // 1003: 32-bit
    0xe3, 0x3e, 0x08, 0x05, 0xeb, 0x3e, 0xec, 0x3e, 0xe4, 0x3e, // 1004: group holding a varint and an empty group
    0x08, 0x03, // version = 3 (the last one wins)
  ]);
  assert.equal(codec.decode('Version', bytes).version, 3);
  assert.deepEqual(Object.keys(codec.decode('Version', bytes)), ['version']);
  // A field this schema has under another wire type is skipped too.
  assert.equal(codec.decode('Version', new Uint8Array([0x0a, 0x01, 0x07, 0x08, 0x02])).version, 2);
  // An unknown field inside a real recorded state changes nothing.
  const state = recordings[1].messages.find((b) => codec.decode('ServerMessage', b).payload === 'state');
  const withUnknown = new Uint8Array([0xfa, 0x3e, 0x02, 0x01, 0x02, ...state]);
  assert.deepEqual(plain(codec.decode('ServerMessage', withUnknown)), plain(codec.decode('ServerMessage', state)));
});

test('truncated input gives DecodeError, where protobufjs refuses it too', () => {
  // Every prefix of a recorded state: valid where it ends between two top-level fields.
  const state = recordings[1].messages.filter((b) => codec.decode('ServerMessage', b).payload === 'state').at(-1);
  let refused = 0;
  for (let n = 0; n < state.length; n++) {
    const cut = state.subarray(0, n);
    let mine;
    let theirs;
    try { mine = plain(codec.decode('ServerMessage', cut)); } catch (e) {
      assert.ok(e instanceof DecodeError, `prefix ${n}: ${e}`);
      mine = 'refused';
    }
    try { theirs = toObj(OracleSM, OracleSM.decode(cut)); } catch { theirs = 'refused'; }
    assert.deepEqual(mine, theirs, `prefix ${n} of ${state.length}`);
    if (mine === 'refused') refused++;
  }
  assert.ok(refused > state.length - 10);
  for (const bad of [
    [0x12, 0x05, 0x18], // state of 5 bytes, 1 there
    [0x08], // tag without its value
    [0x08, 0x80], // varint cut short
    [0x00, 0x00], // field number 0
    [0x0f, 0x00], // wire type 7
    [0x0e, 0x00], // wire type 6
    [0x0c], // end of a group never started
    [0x0b, 0x08, 0x01], // a group never ended
    [0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01], // 11-byte varint
    [0x1a, 0x80, 0x80, 0x80, 0x80, 0x10], // length 2^32
    [0x11, 1, 2, 3], // fixed64 cut short
  ]) {
    assert.throws(() => codec.decode('ServerMessage', new Uint8Array(bad)), DecodeError, `[${bad}]`);
  }
  assert.throws(() => codec.decode('Peerstore.Tag', new Uint8Array([0x10, 0xff])), DecodeError);
  assert.throws(() => allCodec.decode('All', new Uint8Array([0x15, 0, 0])), DecodeError); // float cut short
});

test('nesting without end gives DecodeError, not a stack overflow', () => {
  // Connection.conn (17) holding a Connection, 5000 deep.
  let inner = new Uint8Array(0);
  const wrap = (b) => {
    const len = [];
    for (let n = b.length; ; n >>>= 7) { if (n < 128) { len.push(n); break; } len.push((n & 0x7f) | 0x80); }
    return new Uint8Array([0x8a, 0x01, ...len, ...b]);
  };
  for (let i = 0; i < 5000; i++) inner = wrap(inner);
  assert.throws(() => codec.decode('Connection', inner), DecodeError);
  let ok = new Uint8Array(0);
  for (let i = 0; i < 50; i++) ok = wrap(ok);
  assert.equal(codec.decode('Connection', ok).relayed_over, 'conn');
});

test('strings: UTF-8 both ways, broken UTF-8 read with U+FFFD', () => {
  const Runtime = oracleRoot.lookupType('peerscope.Runtime');
  for (const s of ['', 'ascii', 'é', '✓', '𝄞 and \u0000', 'x'.repeat(300)]) {
    const bytes = codec.encode('Runtime', { peer_id: s });
    assert.equal(Runtime.decode(bytes).peer_id, s);
    assert.equal(codec.decode('Runtime', Runtime.encode({ peer_id: s }).finish()).peer_id, s);
  }
  assert.equal(codec.decode('Runtime', new Uint8Array([0x22, 0x02, 0x61, 0xff])).peer_id, 'a\ufffd');
});

test('bytes are views into the input, as protobufjs gives', () => {
  const input = new Uint8Array([0x0a, 0x02, 0xaa, 0xbb]);
  const c = codec.decode('Connection', input);
  assert.deepEqual(Array.from(c.id), [0xaa, 0xbb]);
  assert.equal(c.id.buffer, input.buffer);
});

test('type and enum names: relative to the package, qualified, or unknown', () => {
  assert.equal(codec.package, 'peerscope');
  assert.equal(codec.decode('peerscope.Version', new Uint8Array([8, 1])).version, 1);
  assert.equal(codec.decode('.peerscope.Version', new Uint8Array([8, 1])).version, 1);
  assert.throws(() => codec.decode('Nope', new Uint8Array(0)), /no message Nope/);
  assert.throws(() => codec.enumValues('Nope'), /no enum Nope/);
  assert.equal(codec.hasField('Connection', 'stream_count'), true);
  assert.equal(codec.hasField('Connection', 'nope'), false);
});

test('enum names come from the schema', () => {
  assert.equal(codec.enumNames('Status')[4], 'ERROR');
  assert.equal(codec.enumNames('DHT.PeerInDHT.Status')[3], 'CANDIDATE');
  assert.equal(codec.enumValues('EventType.EventProperty.PropertyType').PEERID, 11);
});
