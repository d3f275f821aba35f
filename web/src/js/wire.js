// Framing of the 2020 introspection format: the 12-byte header of live
// messages and the recording file layout. No DOM, no protobuf: shared with
// the Node test server.

export const PROTOCOL_VERSION = 1;
export const HEADER_SIZE = 12;

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

/** FNV-1a 32-bit hash of bytes (a Uint8Array), as an unsigned number. */
export function fnv1a(bytes) {
  let h = FNV_OFFSET;
  for (let i = 0; i < bytes.length; i++) {
    h ^= bytes[i];
    h = Math.imul(h, FNV_PRIME);
  }
  return h >>> 0;
}

/** Thrown for data that is not in the expected format; kind says why. */
export class FrameError extends Error {
  constructor(kind, message) {
    super(message);
    this.name = 'FrameError';
    this.kind = kind; // 'short' | 'version' | 'length' | 'checksum'
  }
}

function asBytes(data) {
  if (data instanceof Uint8Array) return data;
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  throw new TypeError('expected bytes');
}

function view(bytes) {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * The payload (a serialized ServerMessage) of one live WebSocket message.
 * Throws FrameError when the header does not hold: a version other than 1
 * means a server this page cannot read, a bad length or checksum means
 * corrupted data.
 */
export function parseFrame(data) {
  const bytes = asBytes(data);
  if (bytes.length < HEADER_SIZE) {
    throw new FrameError('short', `message of ${bytes.length} bytes is shorter than the ${HEADER_SIZE}-byte header`);
  }
  const dv = view(bytes);
  const version = dv.getUint32(0, true);
  if (version !== PROTOCOL_VERSION) {
    throw new FrameError('version', `protocol version ${version} (this page reads version ${PROTOCOL_VERSION})`);
  }
  const sum = dv.getUint32(4, true);
  const len = dv.getUint32(8, true);
  if (len !== bytes.length - HEADER_SIZE) {
    throw new FrameError('length', `header says ${len} payload bytes, message has ${bytes.length - HEADER_SIZE}`);
  }
  const payload = bytes.subarray(HEADER_SIZE);
  const actual = fnv1a(payload);
  if (actual !== sum) {
    throw new FrameError('checksum', `checksum ${hex32(actual)} does not match header ${hex32(sum)}`);
  }
  return payload;
}

/** A live message: header plus payload (what a server sends). */
export function buildFrame(payload) {
  const out = new Uint8Array(HEADER_SIZE + payload.length);
  const dv = view(out);
  dv.setUint32(0, PROTOCOL_VERSION, true);
  dv.setUint32(4, fnv1a(payload), true);
  dv.setUint32(8, payload.length, true);
  out.set(payload, HEADER_SIZE);
  return out;
}

/**
 * Split a recording file into its messages. Records whose checksum does not
 * match are skipped (and counted), as the format says; a record cut short
 * at the end of the file ends the list (truncated: true). Throws FrameError
 * when the file does not start with version 1.
 */
export function parseRecording(data) {
  const bytes = asBytes(data);
  if (bytes.length < 4) throw new FrameError('short', 'file is too short to be a recording');
  const dv = view(bytes);
  const version = dv.getUint32(0, true);
  if (version !== PROTOCOL_VERSION) {
    throw new FrameError('version', `recording version ${version} (this page reads version ${PROTOCOL_VERSION})`);
  }
  const messages = [];
  let skipped = 0;
  let truncated = false;
  let off = 4;
  while (off < bytes.length) {
    if (bytes.length - off < 8) { truncated = true; break; }
    const sum = dv.getUint32(off, true);
    const len = dv.getUint32(off + 4, true);
    if (len > bytes.length - off - 8) { truncated = true; break; }
    const msg = bytes.subarray(off + 8, off + 8 + len);
    off += 8 + len;
    if (fnv1a(msg) !== sum) { skipped++; continue; }
    messages.push(msg);
  }
  return { messages, skipped, truncated };
}

/** A recording file (Uint8Array) holding the given serialized messages. */
export function buildRecording(messages) {
  let size = 4;
  for (const m of messages) size += 8 + m.length;
  const out = new Uint8Array(size);
  const dv = view(out);
  dv.setUint32(0, PROTOCOL_VERSION, true);
  let off = 4;
  for (const m of messages) {
    dv.setUint32(off, fnv1a(m), true);
    dv.setUint32(off + 4, m.length, true);
    out.set(m, off + 8);
    off += 8 + m.length;
  }
  return out;
}

function hex32(n) {
  return '0x' + n.toString(16).padStart(8, '0');
}
