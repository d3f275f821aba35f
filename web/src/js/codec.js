// Protobuf decoding and encoding driven by protobufjs's reflection of the
// .proto text the endpoint serves.
//
// Why not Type.decode: protobufjs generates its decoders as source code run
// through the Function constructor, which the endpoint's
// Content-Security-Policy forbids (no 'unsafe-eval').
// Its parser and its Reader/Writer need no code generation, so this module
// walks the reflected fields itself. Works in browsers and in Node (the
// protobufjs namespace is passed in).
//
// Decoded messages are plain objects with the .proto field names
// (keepCase): absent fields read as their proto3 default through the
// object's prototype (0, "", false, null for messages, [] for repeated), a
// oneof's name holds the name of the member that is set (or null), 64-bit
// integers are Numbers, bytes are Uint8Arrays, enums are numbers.

const WIRE_VARINT = 0;
const WIRE_64 = 1;
const WIRE_LEN = 2;
const WIRE_32 = 5;

const EMPTY_BYTES = Object.freeze(new Uint8Array(0));
const EMPTY_LIST = Object.freeze([]);

function toNumber(v) {
  return typeof v === 'number' ? v : v.toNumber();
}

// kind -> [wire type, read, write, default]
const SCALARS = {
  double: [WIRE_64, (r) => r.double(), (w, v) => w.double(v), 0],
  float: [WIRE_32, (r) => r.float(), (w, v) => w.float(v), 0],
  int32: [WIRE_VARINT, (r) => r.int32(), (w, v) => w.int32(v), 0],
  uint32: [WIRE_VARINT, (r) => r.uint32(), (w, v) => w.uint32(v), 0],
  sint32: [WIRE_VARINT, (r) => r.sint32(), (w, v) => w.sint32(v), 0],
  fixed32: [WIRE_32, (r) => r.fixed32(), (w, v) => w.fixed32(v), 0],
  sfixed32: [WIRE_32, (r) => r.sfixed32(), (w, v) => w.sfixed32(v), 0],
  int64: [WIRE_VARINT, (r) => toNumber(r.int64()), (w, v) => w.int64(v), 0],
  uint64: [WIRE_VARINT, (r) => toNumber(r.uint64()), (w, v) => w.uint64(v), 0],
  sint64: [WIRE_VARINT, (r) => toNumber(r.sint64()), (w, v) => w.sint64(v), 0],
  fixed64: [WIRE_64, (r) => toNumber(r.fixed64()), (w, v) => w.fixed64(v), 0],
  sfixed64: [WIRE_64, (r) => toNumber(r.sfixed64()), (w, v) => w.sfixed64(v), 0],
  bool: [WIRE_VARINT, (r) => r.bool(), (w, v) => w.bool(v), false],
  string: [WIRE_LEN, (r) => r.string(), (w, v) => w.string(v), ''],
  bytes: [WIRE_LEN, (r) => r.bytes(), (w, v) => w.bytes(v), EMPTY_BYTES],
};
const ENUM = [WIRE_VARINT, (r) => r.int32(), (w, v) => w.int32(v), 0];

/** Thrown for bytes that are not a valid message of the expected type. */
export class DecodeError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DecodeError';
  }
}

/**
 * Parse protoText with protobufjs (the namespace object, e.g. the browser
 * global `protobuf`) and return a codec for its messages.
 */
export function createCodec(protobuf, protoText) {
  const root = protobuf.parse(protoText, { keepCase: true }).root;
  root.resolveAll();
  const compiled = new Map();
  let pkg = '';
  const first = root.nestedArray.find((n) => n instanceof protobuf.Namespace && !(n instanceof protobuf.Type));
  if (first) pkg = first.name;

  function qualify(name) {
    return name.includes('.') || !pkg ? name : `${pkg}.${name}`;
  }

  function compileField(f) {
    const out = {
      name: f.name,
      id: f.id,
      repeated: f.repeated,
      map: f.map,
      oneof: f.partOf ? f.partOf.name : null,
      sub: null,
      wire: 0,
      read: null,
      write: null,
      def: null,
      packable: false,
    };
    const rt = f.resolvedType;
    if (f.map) {
      out.key = SCALARS[f.keyType];
      if (!out.key) throw new Error(`map key type ${f.keyType} of ${f.fullName}`);
    }
    if (rt instanceof protobuf.Type) {
      out.wire = WIRE_LEN;
      out.sub = rt; // compiled lazily: types may refer to themselves
      out.def = null;
    } else {
      const s = rt instanceof protobuf.Enum ? ENUM : SCALARS[f.type];
      if (!s) throw new Error(`unsupported field type ${f.type} of ${f.fullName}`);
      [out.wire, out.read, out.write, out.def] = s;
      out.packable = out.wire !== WIRE_LEN;
    }
    return out;
  }

  function compile(type) {
    let ct = compiled.get(type);
    if (ct) return ct;
    ct = { name: type.fullName.replace(/^\./, ''), byId: [], fields: [], proto: null };
    compiled.set(type, ct);
    const proto = {};
    for (const f of type.fieldsArray.slice().sort((a, b) => a.id - b.id)) {
      const cf = compileField(f);
      ct.fields.push(cf);
      ct.byId[cf.id] = cf;
      if (cf.map) proto[cf.name] = Object.freeze({});
      else if (cf.repeated) proto[cf.name] = EMPTY_LIST;
      else proto[cf.name] = cf.def;
    }
    for (const o of type.oneofsArray) proto[o.name] = null;
    // Not frozen: assigning a field that the prototype also has would throw
    // in strict mode (the "override mistake").
    ct.proto = proto;
    return ct;
  }

  function sub(cf) {
    if (!cf.subc) cf.subc = compile(cf.sub);
    return cf.subc;
  }

  function readValue(cf, r) {
    if (cf.sub) return decodeMsg(sub(cf), r, r.uint32() + r.pos);
    return cf.read(r);
  }

  function decodeMapEntry(cf, r, target) {
    const end = r.uint32() + r.pos;
    let key = cf.key[3];
    let value = cf.sub ? null : cf.def;
    while (r.pos < end) {
      const tag = r.uint32();
      if (tag >>> 3 === 1 && (tag & 7) === cf.key[0]) key = cf.key[1](r);
      else if (tag >>> 3 === 2 && (tag & 7) === cf.wire) value = readValue(cf, r);
      else r.skipType(tag & 7);
    }
    if (r.pos !== end) throw new DecodeError('map entry overruns its length');
    target[String(key)] = value === null ? Object.create(sub(cf).proto) : value;
  }

  function decodeMsg(ct, r, end) {
    if (end > r.len) throw new DecodeError(`${ct.name} overruns its buffer`);
    const m = Object.create(ct.proto);
    while (r.pos < end) {
      const tag = r.uint32();
      const id = tag >>> 3;
      const wt = tag & 7;
      if (id === 0) throw new DecodeError(`field number 0 in ${ct.name}`);
      const cf = ct.byId[id];
      if (cf === undefined) {
        r.skipType(wt);
      } else if (cf.map) {
        if (wt !== WIRE_LEN) { r.skipType(wt); continue; }
        const target = Object.hasOwn(m, cf.name) ? m[cf.name] : (m[cf.name] = {});
        decodeMapEntry(cf, r, target);
      } else if (cf.repeated) {
        const list = Object.hasOwn(m, cf.name) ? m[cf.name] : (m[cf.name] = []);
        if (wt === cf.wire) {
          list.push(readValue(cf, r));
        } else if (cf.packable && wt === WIRE_LEN) {
          const stop = r.uint32() + r.pos;
          while (r.pos < stop) list.push(cf.read(r));
          if (r.pos !== stop) throw new DecodeError(`packed ${ct.name}.${cf.name} overruns its length`);
        } else {
          r.skipType(wt);
        }
      } else if (wt === cf.wire) {
        if (cf.oneof) {
          const prev = m[cf.oneof];
          if (prev !== null && prev !== cf.name) delete m[prev];
          m[cf.oneof] = cf.name;
        }
        m[cf.name] = readValue(cf, r);
      } else {
        r.skipType(wt);
      }
    }
    if (r.pos !== end) throw new DecodeError(`${ct.name} overruns its length`);
    return m;
  }

  function isDefault(cf, v) {
    if (cf.sub) return false;
    if (cf.wire === WIRE_LEN) return v.length === 0;
    return v === cf.def || v === 0;
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
          w.uint32(((cf.id << 3) | WIRE_LEN) >>> 0).fork();
          w.uint32(((1 << 3) | cf.key[0]) >>> 0);
          cf.key[2](w, cf.key[0] === WIRE_LEN ? k : cf.key === SCALARS.bool ? k === 'true' : Number(k));
          w.uint32(((2 << 3) | cf.wire) >>> 0);
          writeValue(cf, w, v[k]);
          w.ldelim();
        }
      } else if (cf.repeated) {
        if (!v.length) continue;
        if (cf.packable) {
          w.uint32(((cf.id << 3) | WIRE_LEN) >>> 0).fork();
          for (const x of v) cf.write(w, x);
          w.ldelim();
        } else {
          for (const x of v) {
            w.uint32(((cf.id << 3) | cf.wire) >>> 0);
            writeValue(cf, w, x);
          }
        }
      } else {
        if (cf.oneof) {
          // A set member is written even when it holds the default value.
          const set = m[cf.oneof];
          if (set ? set !== cf.name : !Object.hasOwn(m, cf.name)) continue;
        } else if (isDefault(cf, v)) {
          continue;
        }
        w.uint32(((cf.id << 3) | cf.wire) >>> 0);
        writeValue(cf, w, v);
      }
    }
  }

  function typeOf(name) {
    const t = root.lookupType(qualify(name));
    return compile(t);
  }

  function enumOf(name) {
    return root.lookupEnum(qualify(name));
  }

  return {
    root,
    package: pkg,

    /** Decode bytes (Uint8Array) as the message typeName; throws DecodeError. */
    decode(typeName, bytes) {
      const ct = typeOf(typeName);
      const r = protobuf.Reader.create(bytes);
      try {
        return decodeMsg(ct, r, r.len);
      } catch (e) {
        // protobufjs's Reader throws RangeError on truncated input and a
        // plain Error for an invalid wire type; anything else is a bug here.
        if (e instanceof DecodeError || e instanceof TypeError) throw e;
        throw new DecodeError(`malformed ${ct.name}: ${e.message}`);
      }
    },

    /** Serialize obj (shaped like a decoded message) as typeName. */
    encode(typeName, obj) {
      const w = protobuf.Writer.create();
      encodeMsg(typeOf(typeName), obj, w);
      return w.finish();
    },

    /** Names of an enum's values, by number ({0: 'ACTIVE', ...}). */
    enumNames(name) {
      const e = enumOf(name);
      const out = {};
      for (const [k, v] of Object.entries(e.values)) if (!(v in out)) out[v] = k;
      return out;
    },

    /** Numbers of an enum's values, by name ({ACTIVE: 0, ...}). */
    enumValues(name) {
      return { ...enumOf(name).values };
    },

    /** Whether a message type has a field of that name (schema feature test). */
    hasField(typeName, field) {
      return typeOf(typeName).fields.some((f) => f.name === field);
    },
  };
}
