// A recording file read by protobufjs's own decoder (the independent
// oracle of the replay tests): its messages, and the recorded state as it
// was at a time.
import fs from 'node:fs';
import protobuf from 'protobufjs';
import { protoPath } from './paths.mjs';

const root = protobuf.parse(fs.readFileSync(protoPath, 'utf8'), { keepCase: true }).root;
const SM = root.lookupType('peerscope.ServerMessage');

/** [{payload, state|event|runtime|...}] of a 2020-format recording file. */
export function readRecordingFile(file) {
  const buf = fs.readFileSync(file);
  if (buf.readUInt32LE(0) !== 1) throw new Error(`${file}: recording version is not 1`);
  const out = [];
  let off = 4;
  while (off + 8 <= buf.length) {
    const len = buf.readUInt32LE(off + 4);
    out.push(SM.toObject(SM.decode(buf.subarray(off + 8, off + 8 + len)), { longs: Number, oneofs: true, defaults: true }));
    off += 8 + len;
  }
  if (off !== buf.length) throw new Error(`${file}: does not end on a record boundary`);
  return out;
}

/** The states of a recording, in file order, and a lookup of the one at a time. */
export function recordedStates(file) {
  const states = readRecordingFile(file).filter((m) => m.payload === 'state').map((m) => m.state);
  const at = (ts) => {
    let found = null;
    for (const s of states) if (s.instant_ts <= ts && (!found || s.instant_ts >= found.instant_ts)) found = s;
    return found;
  };
  return { states, at };
}
