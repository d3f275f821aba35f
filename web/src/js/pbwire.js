// The protobuf wire format, without any schema: a Reader over a Uint8Array
// and a growable Writer. js/codec.js drives them from the schema.
//
// 64-bit integers are read as Numbers (exact up to 2^53, rounded beyond);
// the Writer takes Numbers, BigInts, decimal strings or Long-like objects
// ({low, high}, as protobufjs hands them out), so values above 2^53 can be
// written exactly when the caller has them exactly.

export const WIRE_VARINT = 0;
export const WIRE_64 = 1;
export const WIRE_LEN = 2;
export const WIRE_START_GROUP = 3;
export const WIRE_END_GROUP = 4;
export const WIRE_32 = 5;

const TWO32 = 4294967296;
// Groups are a proto2 relic, skipped when met; bounded so that hostile
// input cannot exhaust the stack.
const GROUP_DEPTH_MAX = 32;

/** Thrown for bytes that are not a valid message of the expected type. */
export class DecodeError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DecodeError';
  }
}

// Not fatal: a string field with broken UTF-8 decodes with U+FFFD, like
// most protobuf runtimes do, rather than failing the whole message.
const utf8Decoder = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

export class Reader {
  /** bytes: a Uint8Array (a Node Buffer is one); read from offset 0 to its end. */
  constructor(bytes) {
    this.buf = bytes;
    this.pos = 0;
    this.len = bytes.length;
    this.hi = 0; // high 32 bits of the last varint read
    this.view = null;
  }

  truncated(what) {
    return new DecodeError(`truncated ${what} at offset ${this.pos} of ${this.len}`);
  }

  /** A varint: returns its low 32 bits (unsigned), leaves the high 32 in this.hi. */
  varint() {
    const buf = this.buf;
    const len = this.len;
    let pos = this.pos;
    let lo = 0;
    let b;
    for (let shift = 0; shift < 28; shift += 7) {
      if (pos >= len) throw this.truncated('varint');
      b = buf[pos++];
      lo |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.hi = 0;
        return lo >>> 0;
      }
    }
    if (pos >= len) throw this.truncated('varint');
    b = buf[pos++];
    lo |= (b & 0x0f) << 28;
    let hi = (b & 0x7f) >>> 4;
    if (b < 0x80) {
      this.pos = pos;
      this.hi = hi;
      return lo >>> 0;
    }
    for (let shift = 3; shift < 32; shift += 7) {
      if (pos >= len) throw this.truncated('varint');
      b = buf[pos++];
      hi |= (b & 0x7f) << shift;
      if (b < 0x80) {
        this.pos = pos;
        this.hi = hi >>> 0;
        return lo >>> 0;
      }
    }
    throw new DecodeError(`varint longer than 10 bytes at offset ${this.pos}`);
  }

  uint32() { return this.varint(); }
  int32() { return this.varint() | 0; }
  sint32() {
    const v = this.varint();
    return (v >>> 1) ^ -(v & 1);
  }
  uint64() {
    const lo = this.varint();
    return this.hi * TWO32 + lo;
  }
  int64() {
    const lo = this.varint();
    return (this.hi | 0) * TWO32 + lo;
  }
  sint64() {
    const lo = this.varint();
    const hi = this.hi;
    const mask = -(lo & 1);
    const l = (((lo >>> 1) | (hi << 31)) ^ mask) >>> 0;
    const h = ((hi >>> 1) ^ mask) | 0;
    return h * TWO32 + l;
  }
  bool() {
    const lo = this.varint();
    return lo !== 0 || this.hi !== 0;
  }

  need(n, what) {
    if (this.len - this.pos < n) throw this.truncated(what);
    const at = this.pos;
    this.pos += n;
    return at;
  }
  u32le(at) {
    const b = this.buf;
    return (b[at] | (b[at + 1] << 8) | (b[at + 2] << 16) | (b[at + 3] << 24)) >>> 0;
  }
  dataView() {
    if (!this.view) this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    return this.view;
  }
  fixed32() { return this.u32le(this.need(4, 'fixed32')); }
  sfixed32() { return this.u32le(this.need(4, 'fixed32')) | 0; }
  fixed64() {
    const at = this.need(8, 'fixed64');
    return this.u32le(at + 4) * TWO32 + this.u32le(at);
  }
  sfixed64() {
    const at = this.need(8, 'fixed64');
    return (this.u32le(at + 4) | 0) * TWO32 + this.u32le(at);
  }
  float() { return this.dataView().getFloat32(this.need(4, 'float'), true); }
  double() { return this.dataView().getFloat64(this.need(8, 'double'), true); }

  /** Reads a length prefix; returns the offset where that many bytes end. */
  ldelim() {
    const n = this.varint();
    if (this.hi !== 0 || n > this.len - this.pos) {
      throw new DecodeError(`length ${this.hi ? '> 2^32' : n} at offset ${this.pos} overruns the ${this.len}-byte buffer`);
    }
    return this.pos + n;
  }
  /** A view into the input (no copy), as protobufjs's Reader gives. */
  bytes() {
    const end = this.ldelim();
    const b = this.buf.subarray(this.pos, end);
    this.pos = end;
    return b;
  }
  string() {
    const end = this.ldelim();
    const start = this.pos;
    this.pos = end;
    // Below some 16 bytes a TextDecoder call costs more than building the
    // string here (measured in V8); most such strings are ASCII names.
    if (end - start < 16) {
      const buf = this.buf;
      let s = '';
      for (let i = start; i < end; i++) {
        const c = buf[i];
        if (c >= 0x80) return utf8Decoder.decode(buf.subarray(start, end));
        s += String.fromCharCode(c);
      }
      return s;
    }
    return utf8Decoder.decode(this.buf.subarray(start, end));
  }

  /** Skip the value of a field of wire type wt (its tag already read). */
  skip(wt, depth = 0) {
    switch (wt) {
      case WIRE_VARINT: this.varint(); return;
      case WIRE_64: this.need(8, 'fixed64'); return;
      case WIRE_LEN: this.pos = this.ldelim(); return;
      case WIRE_32: this.need(4, 'fixed32'); return;
      case WIRE_START_GROUP: {
        if (depth >= GROUP_DEPTH_MAX) throw new DecodeError(`groups nested deeper than ${GROUP_DEPTH_MAX}`);
        const start = this.pos;
        for (;;) {
          if (this.pos >= this.len) throw new DecodeError(`group at offset ${start} has no end`);
          const tag = this.varint();
          if ((tag & 7) === WIRE_END_GROUP) return;
          this.skip(tag & 7, depth + 1);
        }
      }
      default:
        throw new DecodeError(`invalid wire type ${wt} at offset ${this.pos}`);
    }
  }
}

/** [lo, hi]: the two's complement 64-bit halves (unsigned) of an integer. */
export function split64(v) {
  if (typeof v === 'number') {
    const a = Math.trunc(Math.abs(v));
    let lo = a >>> 0;
    let hi = Math.floor(a / TWO32) >>> 0;
    if (v < 0 && a !== 0) {
      lo = (~lo + 1) >>> 0;
      hi = (~hi + (lo === 0 ? 1 : 0)) >>> 0;
    }
    return [lo, hi];
  }
  if (typeof v === 'bigint') {
    const u = BigInt.asUintN(64, v);
    return [Number(u & 0xffffffffn), Number(u >> 32n)];
  }
  if (typeof v === 'string') return /^\s*[-+]?\d+\s*$/.test(v) ? split64(BigInt(v.trim())) : split64(Number(v));
  if (v && typeof v === 'object' && typeof v.low === 'number' && typeof v.high === 'number') {
    return [v.low >>> 0, v.high >>> 0];
  }
  return split64(Number(v));
}

function varintSize(v) {
  let n = 1;
  while (v > 127) {
    v >>>= 7;
    n++;
  }
  return n;
}

export class Writer {
  constructor(size = 256) {
    this.buf = new Uint8Array(size);
    this.pos = 0;
    this.forks = [];
    this.view = null;
  }

  reserve(n) {
    if (this.pos + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.pos + n));
    next.set(this.buf.subarray(0, this.pos));
    this.buf = next;
    this.view = null;
  }

  uint32(v) {
    v >>>= 0;
    this.reserve(5);
    const buf = this.buf;
    while (v > 127) {
      buf[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    buf[this.pos++] = v;
    return this;
  }
  varint64(lo, hi) {
    this.reserve(10);
    const buf = this.buf;
    while (hi !== 0) {
      buf[this.pos++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    return this.uint32(lo);
  }
  /** A tag: field number and wire type. */
  tag(id, wt) { return this.uint32(((id << 3) | wt) >>> 0); }

  int32(v) {
    v |= 0;
    // Negative int32s are sign-extended to ten bytes, as every runtime does.
    return v < 0 ? this.varint64(v >>> 0, 0xffffffff) : this.uint32(v);
  }
  sint32(v) {
    v |= 0;
    return this.uint32(((v << 1) ^ (v >> 31)) >>> 0);
  }
  uint64(v) {
    const [lo, hi] = split64(v);
    return this.varint64(lo, hi);
  }
  int64(v) { return this.uint64(v); }
  sint64(v) {
    const [lo, hi] = split64(v);
    const mask = hi >> 31;
    return this.varint64(((lo << 1) ^ mask) >>> 0, (((hi << 1) | (lo >>> 31)) ^ mask) >>> 0);
  }
  bool(v) {
    this.reserve(1);
    this.buf[this.pos++] = v ? 1 : 0;
    return this;
  }

  u32le(v) {
    this.reserve(4);
    const b = this.buf;
    b[this.pos++] = v & 0xff;
    b[this.pos++] = (v >>> 8) & 0xff;
    b[this.pos++] = (v >>> 16) & 0xff;
    b[this.pos++] = (v >>> 24) & 0xff;
    return this;
  }
  fixed32(v) { return this.u32le(v >>> 0); }
  sfixed32(v) { return this.u32le(v | 0); }
  fixed64(v) {
    const [lo, hi] = split64(v);
    return this.u32le(lo).u32le(hi);
  }
  sfixed64(v) { return this.fixed64(v); }
  dataView() {
    if (!this.view) this.view = new DataView(this.buf.buffer, this.buf.byteOffset, this.buf.byteLength);
    return this.view;
  }
  float(v) {
    this.reserve(4);
    this.dataView().setFloat32(this.pos, v, true);
    this.pos += 4;
    return this;
  }
  double(v) {
    this.reserve(8);
    this.dataView().setFloat64(this.pos, v, true);
    this.pos += 8;
    return this;
  }

  bytes(v) {
    this.uint32(v.length);
    this.reserve(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
    return this;
  }
  string(v) {
    const n = v.length;
    // Short ASCII strings (ids, names) are written directly; the rest
    // through TextEncoder, at most three bytes per UTF-16 unit.
    if (n < 128) {
      this.reserve(1 + n);
      const buf = this.buf;
      let i = 0;
      for (; i < n; i++) {
        const c = v.charCodeAt(i);
        if (c >= 0x80) break;
        buf[this.pos + 1 + i] = c;
      }
      if (i === n) {
        buf[this.pos] = n;
        this.pos += 1 + n;
        return this;
      }
    }
    this.reserve(5 + 3 * n);
    const at = this.pos;
    const { written } = utf8Encoder.encodeInto(v, this.buf.subarray(at + 5));
    const size = varintSize(written);
    this.uint32(written);
    if (size < 5) this.buf.copyWithin(at + size, at + 5, at + 5 + written);
    this.pos = at + size + written;
    return this;
  }

  /** Start a length-delimited value; ldelim() ends it and writes its length before it. */
  fork() {
    // One byte is kept for the length, enough below 128 bytes; longer
    // values move up by what their length needs beyond it.
    this.reserve(1);
    this.forks.push(this.pos);
    this.pos += 1;
    return this;
  }
  ldelim() {
    const start = this.forks.pop();
    const len = this.pos - start - 1;
    const n = varintSize(len);
    if (n > 1) {
      this.reserve(n - 1);
      this.buf.copyWithin(start + n, start + 1, this.pos);
    }
    const end = this.pos + n - 1;
    this.pos = start;
    this.uint32(len);
    this.pos = end;
    return this;
  }

  /** The bytes written, as a new Uint8Array of exactly that length. */
  finish() {
    if (this.forks.length) throw new Error('Writer.finish with an unfinished fork');
    return this.buf.slice(0, this.pos);
  }
}
