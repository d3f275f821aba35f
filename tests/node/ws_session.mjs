#!/usr/bin/env node
// An independent WebSocket client of a peerscope endpoint.
//
// It knows only what is published: proto/peerscope.proto (loaded with
// protobufjs), the framing of the 2020 introspection protocol, and the
// command sequence of the 2020 observer-toolkit visualizer. It uses the
// `ws` package, not libwebsockets, so a bug shared by our server and our C
// client cannot hide here.
//
// Usage:
//   node ws_session.mjs [--proto FILE] [--token T] [--timeout-ms N] URL
//
// Drives: HELLO {state_snapshot_interval_ms: 2000, retention_period_ms:
// 120000} without ClientCommand.version, REQUEST RUNTIME, PUSH_ENABLE
// EVENTS, PUSH_ENABLE STATE, PUSH_PAUSE / PUSH_RESUME (a second session
// watches the host's events meanwhile), UPDATE_CONFIG, then closes. Every
// frame is checked (version 1 little-endian, FNV-1a of the payload,
// length), every message decoded. Prints a JSON summary on stdout; exits 1
// on any mismatch (reasons on stderr), 2 on bad usage.

import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import WebSocket from 'ws';

const here = dirname(fileURLToPath(import.meta.url));
const DEFAULT_PROTO = resolve(here, '..', '..', 'proto', 'peerscope.proto');

function usage(msg) {
  if (msg) process.stderr.write(`ws_session.mjs: ${msg}\n`);
  process.stderr.write('usage: node ws_session.mjs [--proto FILE] [--token T] [--timeout-ms N] URL\n');
  process.exit(2);
}

function parseArgs(argv) {
  const o = { proto: DEFAULT_PROTO, token: null, timeoutMs: 30000, url: null };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--proto' && i + 1 < argv.length) o.proto = argv[++i];
    else if (a === '--token' && i + 1 < argv.length) o.token = argv[++i];
    else if (a === '--timeout-ms' && i + 1 < argv.length) o.timeoutMs = Number(argv[++i]);
    else if (a.startsWith('--')) usage(`unknown option ${a}`);
    else if (!o.url) o.url = a;
    else usage('one URL only');
  }
  if (!o.url) usage('no URL');
  if (!Number.isFinite(o.timeoutMs) || o.timeoutMs <= 0) usage('bad --timeout-ms');
  return o;
}

// FNV-1a 32-bit, written out here rather than taken from the library.
export function fnv1a(bytes) {
  let h = 0x811c9dc5;
  for (const b of bytes) {
    h ^= b;
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

class Mismatch extends Error {}

function check(cond, what) {
  if (!cond) throw new Mismatch(what);
}

// Splits one WebSocket message into its payload after checking the header.
export function unframe(buf) {
  check(buf.length >= 12, `frame of ${buf.length} bytes is shorter than its header`);
  const version = buf.readUInt32LE(0);
  const sum = buf.readUInt32LE(4);
  const len = buf.readUInt32LE(8);
  check(version === 1, `frame version ${version}, want 1`);
  check(len === buf.length - 12, `frame length field ${len}, payload is ${buf.length - 12}`);
  const payload = buf.subarray(12);
  const want = fnv1a(payload);
  check(sum === want, `frame checksum ${sum.toString(16)}, FNV-1a of the payload is ${want.toString(16)}`);
  return payload;
}

// A queue of decoded messages with waits on conditions (no sleeping).
class Inbox {
  constructor() {
    this.items = [];
    this.waiters = [];
    this.failure = null;
  }
  push(m) {
    this.items.push(m);
    this.wake();
  }
  fail(err) {
    if (!this.failure) this.failure = err;
    this.wake();
  }
  wake() {
    const ws = this.waiters;
    this.waiters = [];
    for (const w of ws) w();
  }
  // Resolves with the index of the first item at or after `from` that
  // matches; rejects on failure or when the deadline passes.
  async find(from, pred, what, deadline) {
    for (;;) {
      if (this.failure) throw this.failure;
      for (let i = from; i < this.items.length; i++) if (pred(this.items[i])) return i;
      const left = deadline - Date.now();
      if (left <= 0) throw new Mismatch(`timed out waiting for ${what}`);
      await new Promise((res) => {
        const t = setTimeout(res, left);
        this.waiters.push(() => {
          clearTimeout(t);
          res();
        });
      });
    }
  }
}

// A session of its own that takes events until `n` of them pass `pred`;
// resolves to their seqs (the host's numbering, the same on every session).
async function watchEvents(o, ServerMessage, ClientCommand, pred, n, deadline) {
  const headers = o.token ? { Authorization: `Bearer ${o.token}` } : {};
  const ws = new WebSocket(o.url, { headers, perMessageDeflate: false });
  ws.binaryType = 'nodebuffer';
  const inbox = new Inbox();
  ws.on('message', (data) => {
    try {
      const msg = ServerMessage.toObject(ServerMessage.decode(unframe(Buffer.from(data))), { longs: Number, enums: String, defaults: true, oneofs: true });
      inbox.push(msg);
    } catch (e) {
      inbox.fail(e);
    }
  });
  ws.on('error', (e) => inbox.fail(new Mismatch(`watcher socket error: ${e.message}`)));
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
  });
  try {
    const Cmd = ClientCommand.Command;
    const command = (id, fields) => ws.send(ClientCommand.encode(ClientCommand.fromObject({ id, ...fields })).finish(), { binary: true });
    command(1, { command: Cmd.HELLO });
    await inbox.find(0, (m) => m.payload === 'response' && m.response.id === 1, 'the watcher\'s HELLO answer', deadline);
    command(2, { command: Cmd.PUSH_ENABLE, source: ClientCommand.Source.EVENTS });
    const seqs = () => inbox.items.filter((m) => m.payload === 'event' && pred(m.event)).map((m) => m.event.seq);
    await inbox.find(0, () => seqs().length >= n, `${n} events on the watching session`, deadline);
    return seqs().slice(0, n);
  } finally {
    ws.terminate();
  }
}

async function run(o) {
  const root = await protobuf.load(o.proto);
  const ServerMessage = root.lookupType('peerscope.ServerMessage');
  const ClientCommand = root.lookupType('peerscope.ClientCommand');
  const Cmd = ClientCommand.Command;
  const Src = ClientCommand.Source;
  const OK = root.lookupEnum('peerscope.CommandResponse.Result').values.OK;

  const summary = {
    url: o.url,
    frames: 0,
    bytes: 0,
    responses: 0,
    runtime: null,
    states: 0,
    events: 0,
    notices: 0,
    eventTypesWithMetadata: [],
    pausedQuiet: false,
    resumeOrder: false,
    clampedConfig: null,
  };
  const inbox = new Inbox();
  const deadline = Date.now() + o.timeoutMs;

  const headers = o.token ? { Authorization: `Bearer ${o.token}` } : {};
  const ws = new WebSocket(o.url, { headers, perMessageDeflate: false });
  ws.binaryType = 'nodebuffer';
  ws.on('message', (data, isBinary) => {
    try {
      check(isBinary, 'a text message from the server');
      const buf = Buffer.isBuffer(data) ? data : Buffer.concat(data);
      summary.frames++;
      summary.bytes += buf.length;
      const payload = unframe(buf);
      const msg = ServerMessage.toObject(ServerMessage.decode(payload), { longs: Number, enums: String, defaults: true, oneofs: true });
      check(msg.version && msg.version.version === 1, 'ServerMessage.version is not 1');
      inbox.push(msg);
    } catch (e) {
      inbox.fail(e);
      ws.terminate();
    }
  });
  ws.on('error', (e) => inbox.fail(new Mismatch(`socket error: ${e.message}`)));
  let closed = null;
  ws.on('close', (code, reason) => {
    closed = { code, reason: reason.toString() };
    inbox.wake();
  });
  await new Promise((res, rej) => {
    ws.once('open', res);
    ws.once('error', rej);
    ws.once('unexpected-response', (req, res2) => rej(new Mismatch(`upgrade refused: HTTP ${res2.statusCode}`)));
  });

  // The visualizer's ids come from a page-wide counter: they need not start at 1.
  let nextId = 1000;
  function send(command, fields = {}) {
    const id = nextId++;
    // No `version`: the 2020 visualizer leaves it out.
    const obj = { id, command, ...fields };
    const err = ClientCommand.verify(obj);
    check(!err, `bad command: ${err}`);
    ws.send(ClientCommand.encode(ClientCommand.fromObject(obj)).finish(), { binary: true });
    return id;
  }
  const isResponse = (id) => (m) => m.payload === 'response' && m.response.id === id;
  async function expectOk(id, what) {
    const i = await inbox.find(0, isResponse(id), `the response to ${what}`, deadline);
    const r = inbox.items[i].response;
    check(r.result === 'OK' || r.result === OK, `${what} answered ${r.result}: ${r.error}`);
    summary.responses++;
    return { index: i, response: r };
  }
  const count = (kind, from = 0) => inbox.items.slice(from).filter((m) => m.payload === kind).length;

  // HELLO, and nothing else until its answer
  const hello = send(Cmd.HELLO, { config: { stateSnapshotIntervalMs: 2000, retentionPeriodMs: 120000 } });
  const h = await expectOk(hello, 'HELLO');
  check(h.index === 0, 'the server sent something before answering HELLO');
  check(h.response.effectiveConfig, 'HELLO response without effective_config');
  check(h.response.effectiveConfig.stateSnapshotIntervalMs === 2000, 'HELLO did not apply the interval');
  check(h.response.effectiveConfig.retentionPeriodMs === 120000, 'HELLO did not apply the retention');

  // REQUEST RUNTIME: answered with the Runtime itself
  send(Cmd.REQUEST, { source: Src.RUNTIME });
  const ri = await inbox.find(0, (m) => m.payload === 'runtime', 'the Runtime', deadline);
  const rt = inbox.items[ri].runtime;
  summary.runtime = { implementation: rt.implementation, peerId: rt.peerId, eventTypes: rt.eventTypes.length };
  check(rt.eventTypes.length > 0, 'Runtime lists no event types');
  for (const t of rt.eventTypes) check(t.name, 'an event type without a name');

  // PUSH_ENABLE EVENTS: the first event of a type carries its property types
  await expectOk(send(Cmd.PUSH_ENABLE, { source: Src.EVENTS }), 'PUSH_ENABLE EVENTS');
  await inbox.find(0, () => count('event') >= 10, '10 events', deadline);
  const seen = new Set();
  let lastSeq = 0;
  for (const m of inbox.items) {
    if (m.payload !== 'event') continue;
    const e = m.event;
    check(e.type && e.type.name, 'an event without a type name');
    if (!seen.has(e.type.name)) {
      check(e.type.propertyTypes.length > 0, `first ${e.type.name} event carries no property types`);
      seen.add(e.type.name);
      summary.eventTypesWithMetadata.push(e.type.name);
    } else {
      check(e.type.propertyTypes.length === 0, `a later ${e.type.name} event carries property types again`);
    }
    const content = JSON.parse(e.content);
    check(content && typeof content === 'object' && !Array.isArray(content), 'event content is not a JSON object');
    check(e.seq > lastSeq, `event seq ${e.seq} after ${lastSeq}`);
    lastSeq = e.seq;
  }

  // PUSH_ENABLE STATE: the server pushes states by itself
  await expectOk(send(Cmd.PUSH_ENABLE, { source: Src.STATE }), 'PUSH_ENABLE STATE');
  await inbox.find(0, () => count('state') >= 1, 'a pushed State', deadline);
  const st = inbox.items.find((m) => m.payload === 'state').state;
  check(st.instantTs > 0, 'State without instant_ts');
  check(st.subsystems && Array.isArray(st.subsystems.connections), 'State without connections');

  // PUSH_PAUSE: quiet until PUSH_RESUME, whose OK comes before the held
  // items. A second session watches the host meanwhile: the events it gets
  // that this one had not got before its pause was answered are events
  // this session must hold, so the quiet is checked over real emits, not
  // over a stretch of time, and exactly those must follow the resume.
  const pause = await expectOk(send(Cmd.PUSH_PAUSE), 'PUSH_PAUSE');
  const afterPause = inbox.items.length;
  const seqBefore = Math.max(0, ...inbox.items.filter((m) => m.payload === 'event').map((m) => m.event.seq));
  const emitted = await watchEvents(o, ServerMessage, ClientCommand, (e) => e.seq > seqBefore, 3, deadline);
  summary.pausedQuiet = inbox.items.length === afterPause;
  check(summary.pausedQuiet, `${inbox.items.length - afterPause} messages arrived while paused`);
  const resumeId = send(Cmd.PUSH_RESUME);
  const rs = await expectOk(resumeId, 'PUSH_RESUME');
  check(rs.index === afterPause, 'something came before the PUSH_RESUME answer');
  check(pause.index < rs.index, 'responses out of order');
  for (const seq of emitted) {
    await inbox.find(rs.index + 1, (m) => m.payload === 'event' && m.event.seq === seq, `event ${seq}, emitted during the pause`, deadline);
  }
  summary.resumeOrder = true;

  // UPDATE_CONFIG: values are clamped and answered
  const upd = await expectOk(
    send(Cmd.UPDATE_CONFIG, { config: { stateSnapshotIntervalMs: 10, retentionPeriodMs: 999999999 } }),
    'UPDATE_CONFIG',
  );
  const ec = upd.response.effectiveConfig;
  check(ec, 'UPDATE_CONFIG response without effective_config');
  summary.clampedConfig = { stateSnapshotIntervalMs: ec.stateSnapshotIntervalMs, retentionPeriodMs: ec.retentionPeriodMs };
  check(ec.stateSnapshotIntervalMs === 500, `interval clamped to ${ec.stateSnapshotIntervalMs}, want 500`);
  check(ec.retentionPeriodMs === 120000, `retention clamped to ${ec.retentionPeriodMs}, want 120000`);
  const statesBefore = count('state');
  await inbox.find(0, () => count('state') >= statesBefore + 2, 'two more States', deadline);

  // every event in the whole session in order, ids echoed as given
  lastSeq = 0;
  for (const m of inbox.items) {
    if (m.payload === 'event') {
      check(m.event.seq > lastSeq, `event seq ${m.event.seq} after ${lastSeq}`);
      lastSeq = m.event.seq;
    }
    if (m.payload === 'response') check(m.response.id >= 1000 && m.response.id < nextId, 'a response id never sent');
  }
  check(closed === null, `closed by the server: ${closed && closed.code} ${closed && closed.reason}`);

  summary.states = count('state');
  summary.events = count('event');
  summary.notices = count('notice');
  ws.close(1000, 'done');
  await new Promise((res) => (closed ? res() : ws.once('close', res)));
  check(closed && closed.code === 1000, `close code ${closed && closed.code}`);
  return summary;
}

const opts = parseArgs(process.argv.slice(2));
run(opts).then(
  (summary) => {
    process.stdout.write(JSON.stringify({ ok: true, ...summary }) + '\n');
    process.exit(0);
  },
  (err) => {
    process.stdout.write(JSON.stringify({ ok: false, error: err.message }) + '\n');
    process.stderr.write(`ws_session.mjs: ${err.message}\n`);
    process.exit(1);
  },
);
