// The visualizer's reflection codec against protobufjs's own generated
// decoder (allowed in Node, not under the page's CSP) on every message of
// the 2020 recordings in tests/data, plus hand-made edge cases.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import protobuf from 'protobufjs';
import { protoPath, vector, webModule } from '../lib/paths.mjs';

const { createCodec, DecodeError } = await webModule('codec.js');
const { parseRecording } = await webModule('wire.js');

const protoText = fs.readFileSync(protoPath, 'utf8');
const codec = createCodec(protobuf, protoText);
const oracleRoot = protobuf.parse(protoText, { keepCase: true }).root;
const OracleSM = oracleRoot.lookupType('peerscope.ServerMessage');
const toObj = (T, m) => T.toObject(m, { longs: Number, enums: Number, bytes: Array, oneofs: true });

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

for (const name of ['sample-1min.mock', 'sample-dht-2min.mock']) {
  test(`decodes every message of ${name} like protobufjs`, () => {
    const { messages, skipped, truncated } = parseRecording(fs.readFileSync(vector(name)));
    assert.equal(skipped, 0);
    assert.equal(truncated, false);
    assert.ok(messages.length > 500);
    const kinds = {};
    for (const bytes of messages) {
      const mine = codec.decode('ServerMessage', bytes);
      const want = toObj(OracleSM, OracleSM.decode(bytes));
      assert.deepEqual(plain(mine), want);
      kinds[mine.payload] = (kinds[mine.payload] || 0) + 1;
      // Re-encoding loses nothing.
      const again = toObj(OracleSM, OracleSM.decode(codec.encode('ServerMessage', mine)));
      assert.deepEqual(again, want);
    }
    assert.ok(kinds.runtime === 1 && kinds.state >= 30 && kinds.event > 500);
  });
}

test('absent fields read as proto3 defaults', () => {
  const m = codec.decode('ServerMessage', new Uint8Array([0x12, 0x00])); // state: {}
  assert.equal(m.payload, 'state');
  assert.equal(m.state.instant_ts, 0);
  assert.equal(m.state.subsystems, null);
  assert.deepEqual(m.state.provider_errors, []);
  assert.equal(m.runtime, null);
  const c = codec.decode('Connection', new Uint8Array());
  assert.equal(c.peer_id, '');
  assert.equal(c.id.length, 0);
  assert.equal(c.relayed_over, null);
});

test('client commands round-trip through protobufjs', () => {
  const V = codec.enumValues('ClientCommand.Command');
  const S = codec.enumValues('ClientCommand.Source');
  const bytes = codec.encode('ClientCommand', {
    id: 2 ** 40 + 5, command: V.UPDATE_CONFIG, source: S.EVENTS,
    config: { retention_period_ms: 120000, state_snapshot_interval_ms: 500 },
  });
  const T = oracleRoot.lookupType('peerscope.ClientCommand');
  assert.deepEqual(toObj(T, T.decode(bytes)), {
    id: 2 ** 40 + 5, command: 7, source: 2,
    config: { retention_period_ms: 120000, state_snapshot_interval_ms: 500 },
  });
  // HELLO with id 0 and no config is the empty message: defaults are not written.
  assert.equal(codec.encode('ClientCommand', { id: 0, command: V.HELLO }).length, 0);
});

test('a set oneof member is written even when it is the default', () => {
  const bytes = codec.encode('CustomSection.Value', { name: 'x', value: 'integer', integer: 0 });
  const T = oracleRoot.lookupType('peerscope.CustomSection.Value');
  assert.deepEqual(toObj(T, T.decode(bytes)), { name: 'x', integer: 0, value: 'integer' });
  const back = codec.decode('CustomSection.Value', bytes);
  assert.equal(back.value, 'integer');
  assert.equal(back.integer, 0);
});

test('unknown fields are skipped, known ones kept', () => {
  // field 1000 (varint 7), then Version.version = 1
  const bytes = new Uint8Array([0xc0, 0x3e, 0x07, 0x08, 0x01]);
  assert.equal(codec.decode('Version', bytes).version, 1);
});

test('malformed bytes give DecodeError', () => {
  assert.throws(() => codec.decode('ServerMessage', new Uint8Array([0x12, 0x05, 0x18])), DecodeError);
  assert.throws(() => codec.decode('ServerMessage', new Uint8Array([0x08])), DecodeError);
  assert.throws(() => codec.decode('ServerMessage', new Uint8Array([0x00, 0x00])), DecodeError);
});

test('enum names come from the schema', () => {
  assert.equal(codec.enumNames('Status')[4], 'ERROR');
  assert.equal(codec.enumNames('DHT.PeerInDHT.Status')[3], 'CANDIDATE');
  assert.equal(codec.enumValues('EventType.EventProperty.PropertyType').PEERID, 11);
});
