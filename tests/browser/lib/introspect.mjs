// A minimal client of the 2020 introspection protocol in Node, built from
// the `ws` package and protobufjs's own generated decoder: an oracle that
// shares no code with the page. It checks the 12-byte frame header of every
// message it gets.

import fs from 'node:fs';
import protobuf from 'protobufjs';
import WebSocket from 'ws';
import { protoPath } from './paths.mjs';

const root = protobuf.parse(fs.readFileSync(protoPath, 'utf8'), { keepCase: true }).root;
export const ServerMessage = root.lookupType('peerscope.ServerMessage');
export const State = root.lookupType('peerscope.State');
export const ClientCommand = root.lookupType('peerscope.ClientCommand');
export const Command = root.lookupEnum('peerscope.ClientCommand.Command').values;
export const Source = root.lookupEnum('peerscope.ClientCommand.Source').values;

function fnv1a(buf) {
  let h = 2166136261;
  for (const b of buf) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h;
}

/** The payload of one server frame, after checking its header; throws on a bad one. */
export function framePayload(buf) {
  if (buf.length < 12) throw new Error(`frame of ${buf.length} bytes`);
  const version = buf.readUInt32LE(0);
  const hash = buf.readUInt32LE(4);
  const len = buf.readUInt32LE(8);
  const body = buf.subarray(12);
  if (version !== 1) throw new Error(`frame version ${version}`);
  if (len !== body.length) throw new Error(`frame length ${len} for ${body.length} bytes`);
  if (hash !== fnv1a(body)) throw new Error('frame checksum mismatch');
  return body;
}

/** Decode one server frame, checking its header; throws on a bad one. */
export function decodeFrame(buf) {
  return ServerMessage.toObject(ServerMessage.decode(framePayload(buf)), { longs: Number, oneofs: true, defaults: true });
}

/**
 * Open a session (HELLO), send REQUEST for each source in `sources`
 * ('RUNTIME' or 'STATE'), and resolve to the decoded payloads in order.
 * opts.token: sent as ?token=.
 */
export function request(wsUrl, sources, { token, timeoutMs = 10000 } = {}) {
  const url = new URL(wsUrl);
  if (token) url.searchParams.set('token', token);
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url.href);
    const got = [];
    let id = 0;
    let done = false;
    const finish = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      ws.terminate();
      if (err) reject(err); else resolve(got);
    };
    const timer = setTimeout(() => finish(new Error(`no answer from ${wsUrl} in ${timeoutMs} ms`)), timeoutMs);
    const send = (command, source = 0) => ws.send(ClientCommand.encode(ClientCommand.fromObject({ id: ++id, command, source })).finish());
    ws.on('error', (e) => finish(e));
    ws.on('unexpected-response', (_req, res) => finish(new Error(`upgrade refused: ${res.statusCode}`)));
    ws.on('open', () => send(Command.HELLO));
    ws.on('message', (data) => {
      let m;
      try {
        m = decodeFrame(Buffer.from(data));
      } catch (e) {
        finish(e);
        return;
      }
      if (m.payload === 'response') {
        if (m.response.result !== 0) { finish(new Error(`command ${m.response.id} refused: ${m.response.error}`)); return; }
        if (m.response.id !== 1) return;
      } else if (m.payload === 'runtime' || m.payload === 'state') {
        got.push(m);
      } else {
        return;
      }
      if (got.length === sources.length) { finish(); return; }
      send(Command.REQUEST, Source[sources[got.length]]);
    });
  });
}

/**
 * A session that stays open: HELLO with `config`, then PUSH_ENABLE of each
 * source in `push` ('STATE', 'EVENTS'). Resolves, once HELLO is answered,
 * to {messages, waitFor, send, close}: messages are {payload, msg, bytes} in
 * arrival order (bytes: the ServerMessage as it came, without the frame
 * header); waitFor(pred, what, {from, timeout}) resolves to the first
 * message at or after index `from` that matches, or rejects naming `what`
 * (also when the session fails or closes first); send(command, source,
 * extra) sends one more command and returns its id.
 */
export function openSession(wsUrl, { token, config = {}, push = [], timeoutMs = 10000 } = {}) {
  const url = new URL(wsUrl);
  if (token) url.searchParams.set('token', token);
  const ws = new WebSocket(url.href);
  const messages = [];
  const waiters = new Set();
  let failure = null;
  let id = 0;
  const wake = () => { for (const w of [...waiters]) w(); };
  const fail = (e) => { if (!failure) failure = e; wake(); };
  const send = (command, source = 0, extra = {}) => {
    ws.send(ClientCommand.encode(ClientCommand.fromObject({ id: ++id, command, source, ...extra })).finish());
    return id;
  };
  ws.on('error', (e) => fail(e));
  ws.on('close', () => fail(new Error(`session to ${wsUrl} closed`)));
  ws.on('unexpected-response', (_req, res) => fail(new Error(`upgrade refused: ${res.statusCode}`)));
  ws.on('message', (data) => {
    try {
      const bytes = framePayload(Buffer.from(data));
      const msg = ServerMessage.toObject(ServerMessage.decode(bytes), { longs: Number, oneofs: true, defaults: true });
      if (msg.payload === 'response' && msg.response.result !== 0) throw new Error(`command ${msg.response.id} refused: ${msg.response.error}`);
      messages.push({ payload: msg.payload, msg, bytes });
      wake();
    } catch (e) {
      fail(e);
    }
  });
  const waitFor = (pred, what, { from = 0, timeout = timeoutMs } = {}) => new Promise((resolve, reject) => {
    const timer = setTimeout(() => { waiters.delete(look); reject(new Error(`${wsUrl}: no ${what} in ${timeout} ms`)); }, timeout);
    function look() {
      if (failure) { clearTimeout(timer); waiters.delete(look); reject(failure); return; }
      const m = messages.slice(from).find(pred);
      if (m) { clearTimeout(timer); waiters.delete(look); resolve(m); }
    }
    waiters.add(look);
    look();
  });
  const close = () => { failure = failure || new Error('closed'); ws.terminate(); };
  return new Promise((resolve, reject) => {
    ws.once('open', () => {
      const hello = send(Command.HELLO, 0, { config });
      waitFor((m) => m.payload === 'response' && m.msg.response.id === hello, 'answer to HELLO').then(() => {
        for (const src of push) send(Command.PUSH_ENABLE, Source[src]);
        resolve({ messages, waitFor, send, close });
      }, (e) => { close(); reject(e); });
    });
    ws.once('error', reject);
    ws.once('unexpected-response', (_req, res) => reject(new Error(`upgrade refused: ${res.statusCode}`)));
  });
}

/**
 * Resolve once the host has pushed `n` states to a session of its own at
 * `intervalMs` (opened after the call, closed before resolving): nearly
 * n - 1 intervals have passed on the host's own clock (each at least the
 * interval less the endpoint's 20 ms coalescing), whatever the load.
 */
export async function hostIntervals(wsUrl, n, { token, intervalMs }) {
  const s = await openSession(wsUrl, { token, config: { state_snapshot_interval_ms: intervalMs }, push: ['STATE'] });
  try {
    const states = () => s.messages.filter((m) => m.payload === 'state').length;
    await s.waitFor(() => states() >= n, `${n} pushed states`, { timeout: 20000 + n * intervalMs * 3 });
  } finally {
    s.close();
  }
}
