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
const ClientCommand = root.lookupType('peerscope.ClientCommand');
const Command = root.lookupEnum('peerscope.ClientCommand.Command').values;
const Source = root.lookupEnum('peerscope.ClientCommand.Source').values;

function fnv1a(buf) {
  let h = 2166136261;
  for (const b of buf) h = Math.imul(h ^ b, 16777619) >>> 0;
  return h;
}

/** Decode one server frame, checking its header; throws on a bad one. */
export function decodeFrame(buf) {
  if (buf.length < 12) throw new Error(`frame of ${buf.length} bytes`);
  const version = buf.readUInt32LE(0);
  const hash = buf.readUInt32LE(4);
  const len = buf.readUInt32LE(8);
  const body = buf.subarray(12);
  if (version !== 1) throw new Error(`frame version ${version}`);
  if (len !== body.length) throw new Error(`frame length ${len} for ${body.length} bytes`);
  if (hash !== fnv1a(body)) throw new Error('frame checksum mismatch');
  return ServerMessage.toObject(ServerMessage.decode(body), { longs: Number, oneofs: true, defaults: true });
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
