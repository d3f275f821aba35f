// Protobuf decoding and encoding driven by the schema module that the build
// generates from proto/peerscope.proto (/js/schema.js, web/gen_schema.py
// describes its format), over the wire reader and writer of pbwire.js.
// No code generation at run time (the endpoint's Content-Security-Policy
// forbids eval), no .proto parser, no dependency: the same module runs in
// the page and in Node.
//
// Decoded messages are plain objects with the .proto field names: absent
// fields read as their proto3 default through the object's prototype (0,
// "", false, null for messages, [] for repeated, {} for maps), a oneof's
// name holds the name of the member that is set (or null), 64-bit integers
// are Numbers, bytes are Uint8Arrays (views into the input), enums are
// numbers.

import {
  DecodeError, Reader, Writer, split64,
  WIRE_VARINT, WIRE_64, WIRE_LEN, WIRE_32,
} from './pbwire.js';

export { DecodeError };

const EMPTY_BYTES = Object.freeze(new Uint8Array(0));
const EMPTY_LIST = Object.freeze([]);
// A hostile message could nest without end (Connection.conn is a Connection).
const DEPTH_MAX = 100;

const isZero = (v) => v === 0;
const isZero64 = (v) => {
  if (v === 0) return true;
  const [lo, hi] = split64(v);
  return lo === 0 && hi === 0;
};

// type -> [wire type, read, write, default, is the default]
const SCALARS = {
  double: [WIRE_64, (r) => r.double(), (w, v) => w.double(v), 0, isZero],
  float: [WIRE_32, (r) => r.float(), (w, v) => w.float(v), 0, isZero],
  int32: [WIRE_VARINT, (r) => r.int32(), (w, v) => w.int32(v), 0, isZero],
  uint32: [WIRE_VARINT, (r) => r.uint32(), (w, v) => w.uint32(v), 0, isZero],
  sint32: [WIRE_VARINT, (r) => r.sint32(), (w, v) => w.sint32(v), 0, isZero],
  fixed32: [WIRE_32, (r) => r.fixed32(), (w, v) => w.fixed32(v), 0, isZero],
  sfixed32: [WIRE_32, (r) => r.sfixed32(), (w, v) => w.sfixed32(v), 0, isZero],
  int64: [WIRE_VARINT, (r) => r.int64(), (w, v) => w.int64(v), 0, isZero64],
  uint64: [WIRE_VARINT, (r) => r.uint64(), (w, v) => w.uint64(v), 0, isZero64],
  sint64: [WIRE_VARINT, (r) => r.sint64(), (w, v) => w.sint64(v), 0, isZero64],
  fixed64: [WIRE_64, (r) => r.fixed64(), (w, v) => w.fixed64(v), 0, isZero64],
  sfixed64: [WIRE_64, (r) => r.sfixed64(), (w, v) => w.sfixed64(v), 0, isZero64],
  bool: [WIRE_VARINT, (r) => r.bool(), (w, v) => w.bool(v), false, (v) => !v],
  string: [WIRE_LEN, (r) => r.string(), (w, v) => w.string(v), '', (v) => v.length === 0],
  bytes: [WIRE_LEN, (r) => r.bytes(), (w, v) => w.bytes(v), EMPTY_BYTES, (v) => v.length === 0],
};
const ENUM = [WIRE_VARINT, (r) => r.int32(), (w, v) => w.int32(v), 0, isZero];

/**
 * A codec for the messages a schema describes. schema: the default export
 * of the generated /js/schema.js (see web/gen_schema.py).
 */
export function createCodec(schema) {
  const pkg = schema.package || '';
  const compiled = new Map();

  function resolve(kind, table, name) {
    const bare = name.startsWith('.') ? name.slice(1) : name;
    if (Object.hasOwn(table, bare)) return bare;
    if (pkg && bare.startsWith(`${pkg}.`) && Object.hasOwn(table, bare.slice(pkg.length + 1))) {
      return bare.slice(pkg.length + 1);
    }
    throw new Error(`no ${kind} ${name} in the schema`);
  }

  function compileField(typeName, f) {
    const out = {
      name: f.name,
      id: f.number,
      repeated: !!f.repeated,
      map: !!f.map,
      packed: !!f.packed,
      oneof: f.oneof || null,
      key: null,
      sub: null, // message type name, compiled lazily: types may refer to themselves
      subc: null,
      wire: WIRE_LEN,
      read: null,
      write: null,
      def: null,
      isDef: null,
      packable: false,
    };
    if (f.map) {
      out.key = SCALARS[f.key];
      if (!out.key) throw new Error(`map key type ${f.key} of ${typeName}.${f.name}`);
    }
    if (f.message !== undefined) {
      out.sub = resolve('message', schema.messages, f.message);
    } else {
      let s;
      if (f.enum !== undefined) {
        resolve('enum', schema.enums, f.enum);
        s = ENUM;
      } else {
        s = SCALARS[f.type];
      }
      if (!s) throw new Error(`unsupported field type ${f.type} of ${typeName}.${f.name}`);
      [out.wire, out.read, out.write, out.def, out.isDef] = s;
      out.packable = out.wire !== WIRE_LEN;
    }
    return out;
  }

  function compile(name) {
    let ct = compiled.get(name);
    if (ct) return ct;
    const desc = schema.messages[name];
    ct = { name: pkg ? `${pkg}.${name}` : name, byId: [], fields: [], proto: null };
    compiled.set(name, ct);
    const proto = {};
    for (const f of desc.fields.slice().sort((a, b) => a.number - b.number)) {
      const cf = compileField(name, f);
      ct.fields.push(cf);
      ct.byId[cf.id] = cf;
      if (cf.map) proto[cf.name] = Object.freeze({});
      else if (cf.repeated) proto[cf.name] = EMPTY_LIST;
      else proto[cf.name] = cf.def;
    }
    for (const o of desc.oneofs) proto[o] = null;
    // Not frozen: assigning a field that the prototype also has would throw
    // in strict mode (the "override mistake").
    ct.proto = proto;
    return ct;
  }

  function sub(cf) {
    if (!cf.subc) cf.subc = compile(cf.sub);
    return cf.subc;
  }

  function readValue(cf, r, depth) {
    if (cf.sub) return decodeMsg(sub(cf), r, r.ldelim(), depth + 1);
    return cf.read(r);
  }

  function decodeMapEntry(cf, r, target, depth) {
    const end = r.ldelim();
    let key = cf.key[3];
    let value = cf.sub ? null : cf.def;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === 1 && (tag & 7) === cf.key[0]) key = cf.key[1](r);
      else if (tag >>> 3 === 2 && (tag & 7) === cf.wire) value = readValue(cf, r, depth);
      else r.skip(tag & 7);
    }
    if (r.pos !== end) throw new DecodeError('map entry overruns its length');
    target[String(key)] = value === null ? Object.create(sub(cf).proto) : value;
  }

  function decodeMsg(ct, r, end, depth) {
    if (depth > DEPTH_MAX) throw new DecodeError(`messages nested deeper than ${DEPTH_MAX}`);
    const m = Object.create(ct.proto);
    while (r.pos < end) {
      const tag = r.uint32();
      const id = tag >>> 3;
      const wt = tag & 7;
      if (id === 0) throw new DecodeError(`field number 0 in ${ct.name}`);
      const cf = ct.byId[id];
      if (cf === undefined) {
        r.skip(wt);
      } else if (cf.map) {
        if (wt !== WIRE_LEN) { r.skip(wt); continue; }
        const target = Object.hasOwn(m, cf.name) ? m[cf.name] : (m[cf.name] = {});
        decodeMapEntry(cf, r, target, depth);
      } else if (cf.repeated) {
        const list = Object.hasOwn(m, cf.name) ? m[cf.name] : (m[cf.name] = []);
        if (wt === cf.wire) {
          list.push(readValue(cf, r, depth));
        } else if (cf.packable && wt === WIRE_LEN) {
          // Accepted whether or not the schema says packed, as proto3 requires.
          const stop = r.ldelim();
          while (r.pos < stop) list.push(cf.read(r));
          if (r.pos !== stop) throw new DecodeError(`packed ${ct.name}.${cf.name} overruns its length`);
        } else {
          r.skip(wt);
        }
      } else if (wt === cf.wire) {
        if (cf.oneof) {
          const prev = m[cf.oneof];
          if (prev !== null && prev !== cf.name) delete m[prev];
          m[cf.oneof] = cf.name;
        }
        m[cf.name] = readValue(cf, r, depth);
      } else {
        r.skip(wt);
      }
    }
    if (r.pos !== end) throw new DecodeError(`${ct.name} overruns its length`);
    return m;
  }

  function writeValue(cf, w, v) {
    if (cf.sub) {
      w.fork();
      encodeMsg(sub(cf), v, w);
      w.ldelim();
    } else {
      cf.write(w, v);
    }
  }

  function encodeMsg(ct, m, w) {
    for (const cf of ct.fields) {
      const v = m[cf.name];
      if (v === undefined || v === null) continue;
      if (cf.map) {
        for (const k of Object.keys(v)) {
          w.tag(cf.id, WIRE_LEN).fork();
          w.tag(1, cf.key[0]);
          cf.key[2](w, cf.key[0] === WIRE_LEN ? k : cf.key === SCALARS.bool ? k === 'true' : Number(k));
          w.tag(2, cf.wire);
          writeValue(cf, w, v[k]);
          w.ldelim();
        }
      } else if (cf.repeated) {
        if (!v.length) continue;
        if (cf.packed) {
          w.tag(cf.id, WIRE_LEN).fork();
          for (const x of v) cf.write(w, x);
          w.ldelim();
        } else {
          for (const x of v) {
            w.tag(cf.id, cf.wire);
            writeValue(cf, w, x);
          }
        }
      } else {
        if (cf.oneof) {
          // A set member is written even when it holds the default value.
          const set = m[cf.oneof];
          if (set ? set !== cf.name : !Object.hasOwn(m, cf.name)) continue;
        } else if (!cf.sub && cf.isDef(v)) {
          continue;
        }
        w.tag(cf.id, cf.wire);
        writeValue(cf, w, v);
      }
    }
  }

  function typeOf(name) {
    return compile(resolve('message', schema.messages, name));
  }

  function enumOf(name) {
    return schema.enums[resolve('enum', schema.enums, name)];
  }

  return {
    schema,
    package: pkg,

    /** Decode bytes (Uint8Array) as the message typeName; throws DecodeError. */
    decode(typeName, bytes) {
      const ct = typeOf(typeName);
      const r = new Reader(bytes);
      try {
        return decodeMsg(ct, r, r.len, 0);
      } catch (e) {
        if (e instanceof DecodeError) throw new DecodeError(`malformed ${ct.name}: ${e.message}`);
        throw e;
      }
    },

    /** Serialize obj (shaped like a decoded message) as typeName. */
    encode(typeName, obj) {
      const w = new Writer();
      encodeMsg(typeOf(typeName), obj, w);
      return w.finish();
    },

    /** Names of an enum's values, by number ({0: 'ACTIVE', ...}). */
    enumNames(name) {
      const out = {};
      for (const [k, v] of Object.entries(enumOf(name))) if (!(v in out)) out[v] = k;
      return out;
    },

    /** Numbers of an enum's values, by name ({ACTIVE: 0, ...}). */
    enumValues(name) {
      return { ...enumOf(name) };
    },

    /** Whether a message type has a field of that name (schema feature test). */
    hasField(typeName, field) {
      return typeOf(typeName).fields.some((f) => f.name === field);
    },
  };
}
