#!/usr/bin/env node
// Independent decoder for peerscope's wire format.
//
// It knows only what is published: proto/peerscope.proto (loaded with
// protobufjs) and the framing of the 2020 introspection protocol. Nothing
// of the C library is used, so a bug shared by our encoder and our C
// decoder cannot hide here.
//
// Usage:
//   node decode.mjs [--live | --recording] [--proto FILE] [--expect FILE.json] FILE
//
//   --recording (default)  FILE is a recording: [u32 version] once, then
//                          records [u32 fnv1a][u32 len][ServerMessage].
//   --live                 FILE is a live capture: frames
//                          [u32 version][u32 fnv1a][u32 len][ServerMessage],
//                          as sent in WebSocket messages.
//   --expect FILE.json     compare the summary with FILE.json: every key
//                          present there must have the same value here
//                          (objects are compared key by key, recursively).
//
// Prints a JSON summary to stdout. Exits 1 on any error (bad checksum,
// truncation, wrong version, undecodable message, event content that is
// not JSON, expectation mismatch) with the reason on stderr, 2 on bad usage.

import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTOCOL_VERSION = 1;
const here = dirname(fileURLToPath(import.meta.url));

export class DecodeError extends Error {}

function usage(msg) {
  if (msg) process.stderr.write(`decode.mjs: ${msg}\n`);
  process.stderr.write('usage: node decode.mjs [--live | --recording] [--proto FILE] [--expect FILE.json] FILE\n');
  process.exit(2);
}

export const DEFAULT_PROTO = resolve(here, '..', '..', 'proto', 'peerscope.proto');

function parseArgs(argv) {
  const opts = {
    format: 'recording',
    proto: DEFAULT_PROTO,
    expect: null,
    file: null,
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--live') opts.format = 'live';
    else if (a === '--recording') opts.format = 'recording';
    else if (a === '--proto' || a === '--expect') {
      if (i + 1 >= argv.length) usage(`${a} needs a value`);
      opts[a.slice(2)] = argv[++i];
    } else if (a === '-h' || a === '--help') usage();
    else if (a.startsWith('-')) usage(`unknown option ${a}`);
    else if (opts.file === null) opts.file = a;
    else usage('only one FILE');
  }
  if (opts.file === null) usage('FILE missing');
  return opts;
}

// FNV-1a 32-bit: offset basis 2166136261, prime 16777619.
export function fnv1a32(bytes) {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, 16777619) >>> 0;
  }
  return h >>> 0;
}

// Split a file into payloads, checking every header and checksum.
function* frames(buf, format) {
  let off = 0;
  const need = (n, what) => {
    if (buf.length - off < n)
      throw new DecodeError(`truncated ${what} at offset ${off} (${buf.length - off} of ${n} bytes)`);
  };
  if (format === 'recording') {
    need(4, 'file header');
    const v = buf.readUInt32LE(0);
    if (v !== PROTOCOL_VERSION) throw new DecodeError(`recording version ${v}, expected ${PROTOCOL_VERSION}`);
    off = 4;
  }
  let index = 0;
  while (off < buf.length) {
    if (format === 'live') {
      need(12, 'frame header');
      const v = buf.readUInt32LE(off);
      if (v !== PROTOCOL_VERSION)
        throw new DecodeError(`frame ${index}: version ${v}, expected ${PROTOCOL_VERSION}`);
      off += 4;
    } else {
      need(8, 'record header');
    }
    const sum = buf.readUInt32LE(off);
    const len = buf.readUInt32LE(off + 4);
    off += 8;
    need(len, `payload of message ${index}`);
    const payload = buf.subarray(off, off + len);
    off += len;
    const got = fnv1a32(payload);
    if (got !== sum)
      throw new DecodeError(`message ${index}: FNV-1a ${hex(got)} does not match header ${hex(sum)}`);
    yield payload;
    index++;
  }
}

const hex = (n) => '0x' + n.toString(16).padStart(8, '0');
const num = (v) => (v === undefined || v === null ? 0 : Number(v));
const inc = (obj, key, by = 1) => {
  obj[key] = (obj[key] ?? 0) + by;
};

function hasTraffic(t) {
  return !!t && (num(t.trafficIn?.cumBytes) > 0 || num(t.trafficOut?.cumBytes) > 0);
}

// opts: { format: 'recording' | 'live', proto: path, file: path } or
// { format, proto, bytes: Buffer }. Throws DecodeError on bad input.
export function summarize(opts) {
  const root = protobuf.loadSync(opts.proto ?? DEFAULT_PROTO);
  const ServerMessage = root.lookupType('peerscope.ServerMessage');
  const buf = opts.bytes ?? readFileSync(opts.file);

  const s = {
    format: opts.format,
    messages: 0,
    payloadBytes: 0,
    versions: {},
    kinds: {},
    runtime: null,
    events: { count: 0, byType: {}, undeclaredType: 0 },
    states: {
      count: 0,
      connections: 0,
      maxConnections: 0,
      connectionsByStatus: {},
      streams: 0,
      streamsWithTraffic: 0,
      withDht: 0,
      dhtBuckets: 0,
      dhtPeers: 0,
      withTraffic: 0,
      providerErrors: 0,
      protocols: {},
      last: null,
    },
    responses: { count: 0, ok: 0, err: 0 },
    notices: 0,
  };
  const declared = new Set();

  let index = 0;
  for (const payload of frames(buf, opts.format)) {
    let m;
    try {
      m = ServerMessage.decode(payload);
    } catch (e) {
      throw new DecodeError(`message ${index}: not a peerscope.ServerMessage: ${e.message}`);
    }
    s.messages++;
    s.payloadBytes += payload.length;
    inc(s.versions, m.version ? String(num(m.version.version)) : 'absent');
    const kind = m.payload ?? 'none';
    inc(s.kinds, kind);

    if (kind === 'runtime') {
      const rt = m.runtime;
      for (const t of rt.eventTypes) declared.add(t.name);
      s.runtime = {
        implementation: rt.implementation,
        version: rt.version,
        platform: rt.platform,
        peerId: rt.peerId,
        eventTypes: rt.eventTypes.map((t) => t.name),
      };
    } else if (kind === 'event') {
      const ev = m.event;
      const name = ev.type?.name ?? '';
      s.events.count++;
      inc(s.events.byType, name);
      if (declared.size && !declared.has(name)) s.events.undeclaredType++;
      let content;
      try {
        content = JSON.parse(ev.content);
      } catch (e) {
        throw new DecodeError(`message ${index}: event ${name} content is not JSON: ${e.message}`);
      }
      if (content === null || typeof content !== 'object' || Array.isArray(content))
        throw new DecodeError(`message ${index}: event ${name} content is not a JSON object`);
    } else if (kind === 'state') {
      const st = m.state;
      const conns = st.subsystems?.connections ?? [];
      s.states.count++;
      s.states.connections += conns.length;
      s.states.maxConnections = Math.max(s.states.maxConnections, conns.length);
      for (const c of conns) {
        inc(s.states.connectionsByStatus, String(c.status ?? 0));
        for (const str of c.streams?.streams ?? []) {
          s.states.streams++;
          if (hasTraffic(str.traffic)) s.states.streamsWithTraffic++;
          inc(s.states.protocols, str.protocol ?? '');
        }
      }
      const dht = st.subsystems?.dht;
      if (dht && dht.buckets.length) {
        s.states.withDht++;
        s.states.dhtBuckets += dht.buckets.length;
        for (const b of dht.buckets) s.states.dhtPeers += b.peers.length;
      }
      if (hasTraffic(st.traffic)) s.states.withTraffic++;
      s.states.providerErrors += st.providerErrors?.length ?? 0;
      s.states.last = {
        seq: num(st.seq),
        connections: conns.length,
        bytesIn: num(st.traffic?.trafficIn?.cumBytes),
        bytesOut: num(st.traffic?.trafficOut?.cumBytes),
        peers: conns.map((c) => c.peerId),
      };
      const end = num(st.startTs) + num(st.snapshotDurationMs);
      if (num(st.instantTs) === 0 || Math.abs(num(st.instantTs) - end) > 1000)
        throw new DecodeError(`message ${index}: state times do not add up (start ${st.startTs} + ` +
                              `${st.snapshotDurationMs} ms vs instant ${st.instantTs})`);
    } else if (kind === 'response') {
      s.responses.count++;
      if (num(m.response.result) === 0) s.responses.ok++;
      else s.responses.err++;
    } else if (kind === 'notice') {
      s.notices++;
    }
    index++;
  }
  return s;
}

// Every key of `want` must be equal in `got`; returns the differences.
export function diff(want, got, path = '') {
  if (want !== null && typeof want === 'object' && !Array.isArray(want)) {
    if (got === null || typeof got !== 'object')
      return [`${path || '.'}: expected an object, got ${JSON.stringify(got)}`];
    return Object.keys(want).flatMap((k) => diff(want[k], got[k], `${path}.${k}`));
  }
  return JSON.stringify(want) === JSON.stringify(got)
    ? []
    : [`${path}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)}`];
}

function main() {
  const opts = parseArgs(process.argv.slice(2));
  let summary;
  try {
    summary = summarize(opts);
  } catch (e) {
    if (e instanceof DecodeError || e.code === 'ENOENT' || e.code === 'EISDIR') {
      process.stderr.write(`decode.mjs: ${opts.file}: ${e.message}\n`);
      process.exit(1);
    }
    throw e;
  }
  process.stdout.write(JSON.stringify(summary, null, 2) + '\n');
  if (opts.expect) {
    const want = JSON.parse(readFileSync(opts.expect, 'utf8'));
    const d = diff(want, summary);
    if (d.length) {
      process.stderr.write(`decode.mjs: ${opts.file} differs from ${opts.expect}:\n  ${d.join('\n  ')}\n`);
      process.exit(1);
    }
  }
}

// Run as a program, not when imported by the other checks.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main();
