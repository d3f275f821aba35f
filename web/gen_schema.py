#!/usr/bin/env python3
"""Write the visualizer's schema module (/js/schema.js) from the descriptor set.

Input: a FileDescriptorSet (protoc-c --descriptor_set_out) of
proto/peerscope.proto. Output: an ES module whose default export is a
deeply frozen object that js/codec.js builds its decoders from, so the page
needs no .proto parser:

  {
    package: "peerscope",
    messages: {                      // every message, nested ones as "Outer.Inner"
      "Connection": {
        fields: [                    // in .proto order
          {name: "id", number: 1, type: "bytes"},
          {name: "status", number: 3, enum: "Status"},
          {name: "timeline", number: 6, message: "Connection.Timeline"},
          {name: "conn_id", number: 16, type: "bytes", oneof: "relayed_over"},
          {name: "user_provided_tags", number: 99, type: "string", repeated: true},
          ...
        ],
        oneofs: ["relayed_over"],
      },
      ...
    },
    enums: {"Status": {ACTIVE: 0, CLOSED: 1, ...}, "DHT.PeerInDHT.Status": {...}, ...},
  }

A field has exactly one of type (a scalar: double, float, int32, int64,
uint32, uint64, sint32, sint64, fixed32, fixed64, sfixed32, sfixed64, bool,
string, bytes), enum or message (a name in enums / messages, relative to
the package). repeated: true for repeated fields, packed: true on those
written packed (proto3's default for numeric types). A map field has map:
true and key (a scalar type); its value is described by type, enum or
message as for any field, and it is not repeated. oneof names the oneof a
field is a member of; oneofs lists a message's oneofs in .proto order.

  gen_schema.py --descriptor-set FILE --out FILE.js
"""
import argparse
import json
import re

try:
    from google.protobuf import descriptor_pb2
except ImportError:
    raise SystemExit(f'{__file__}: this Python lacks google.protobuf (Debian: apt-get install python3-protobuf, '
                     'then run it with /usr/bin/python3)') from None

FD = descriptor_pb2.FieldDescriptorProto

SCALARS = {
    FD.TYPE_DOUBLE: 'double', FD.TYPE_FLOAT: 'float',
    FD.TYPE_INT32: 'int32', FD.TYPE_INT64: 'int64',
    FD.TYPE_UINT32: 'uint32', FD.TYPE_UINT64: 'uint64',
    FD.TYPE_SINT32: 'sint32', FD.TYPE_SINT64: 'sint64',
    FD.TYPE_FIXED32: 'fixed32', FD.TYPE_FIXED64: 'fixed64',
    FD.TYPE_SFIXED32: 'sfixed32', FD.TYPE_SFIXED64: 'sfixed64',
    FD.TYPE_BOOL: 'bool', FD.TYPE_STRING: 'string', FD.TYPE_BYTES: 'bytes',
}
# Only these may be packed (wire types varint, 64-bit and 32-bit).
PACKABLE = set(SCALARS) - {FD.TYPE_STRING, FD.TYPE_BYTES} | {FD.TYPE_ENUM}


IDENT = re.compile(r'[A-Za-z_$][A-Za-z0-9_$]*')


class SchemaError(Exception):
    pass


class Builder:
    def __init__(self, fd):
        if fd.syntax != 'proto3':
            # proto2 brings explicit defaults, required and groups, which
            # the page's codec does not implement.
            raise SchemaError(f'{fd.name}: syntax {fd.syntax or "proto2"!r}, only proto3 is supported')
        self.package = fd.package
        self.prefix = f'.{fd.package}.' if fd.package else '.'
        self.messages = {}
        self.enums = {}
        self.map_entries = {}  # full name of a map entry type -> its DescriptorProto
        for m in fd.message_type:
            self.index_maps(self.prefix + m.name, m)
        for e in fd.enum_type:
            self.enum(e.name, e)
        for m in fd.message_type:
            self.message(m.name, m)

    def index_maps(self, full, msg):
        for n in msg.nested_type:
            if n.options.map_entry:
                self.map_entries[f'{full}.{n.name}'] = n
            self.index_maps(f'{full}.{n.name}', n)

    def rel(self, type_name, where):
        if not type_name.startswith(self.prefix):
            raise SchemaError(f'{where}: type {type_name} is outside package {self.package!r}')
        return type_name[len(self.prefix):]

    def enum(self, name, e):
        self.enums[name] = {v.name: v.number for v in e.value}

    def value_type(self, f, where, out):
        """Set type / enum / message of out from field f."""
        if f.type in SCALARS:
            out['type'] = SCALARS[f.type]
        elif f.type == FD.TYPE_ENUM:
            out['enum'] = self.rel(f.type_name, where)
        elif f.type == FD.TYPE_MESSAGE:
            out['message'] = self.rel(f.type_name, where)
        else:
            raise SchemaError(f'{where}: unsupported field type {FD.Type.Name(f.type)}')

    def field(self, msg_name, msg, f):
        where = f'{msg_name}.{f.name}'
        out = {'name': f.name, 'number': f.number}
        entry = self.map_entries.get(f.type_name) if f.type == FD.TYPE_MESSAGE else None
        if entry is not None and f.label == FD.LABEL_REPEATED:
            key, value = sorted(entry.field, key=lambda x: x.number)
            out['map'] = True
            out['key'] = SCALARS[key.type]
            self.value_type(value, where, out)
        else:
            self.value_type(f, where, out)
            if f.label == FD.LABEL_REPEATED:
                out['repeated'] = True
                packed = f.options.packed if f.options.HasField('packed') else True
                if packed and f.type in PACKABLE:
                    out['packed'] = True
        if f.HasField('oneof_index'):
            out['oneof'] = msg.oneof_decl[f.oneof_index].name
        return out

    def message(self, name, msg):
        self.messages[name] = {
            'fields': [self.field(name, msg, f) for f in msg.field],
            'oneofs': [o.name for o in msg.oneof_decl],
        }
        for e in msg.enum_type:
            self.enum(f'{name}.{e.name}', e)
        for n in msg.nested_type:
            if not n.options.map_entry:
                self.message(f'{name}.{n.name}', n)


def compact(v):
    """v as a JS literal: JSON, minus the quotes around identifier keys."""
    if isinstance(v, dict):
        if '__proto__' in v:
            # In an object literal it sets the prototype instead of a key.
            raise SchemaError('the name __proto__ cannot be described')
        items = (f'{k if IDENT.fullmatch(k) else compact(k)}:{compact(x)}' for k, x in v.items())
        return '{' + ','.join(items) + '}'
    if isinstance(v, list):
        return '[' + ','.join(compact(x) for x in v) + ']'
    return json.dumps(v, ensure_ascii=True)


def render(fds):
    """The module text for a FileDescriptorSet holding one .proto file."""
    if len(fds.file) != 1:
        raise SchemaError(f'expected the descriptor set of one .proto file, got {len(fds.file)}')
    b = Builder(fds.file[0])
    if '__proto__' in b.messages or '__proto__' in b.enums:
        raise SchemaError('the name __proto__ cannot be described')
    lines = [
        f'// Generated from {fds.file[0].name} by web/gen_schema.py: do not edit.',
        '// The format is described in gen_schema.py; js/codec.js reads it.',
        'const freeze = (o) => {',
        "  for (const v of Object.values(o)) if (v && typeof v === 'object') freeze(v);",
        '  return Object.freeze(o);',
        '};',
        '',
        'export default freeze({',
        f'  package: {compact(b.package)},',
        '  messages: {',
    ]
    for name, m in b.messages.items():
        lines.append(f'    {compact(name)}: {{oneofs: {compact(m["oneofs"])}, fields: [')
        lines.extend(f'      {compact(f)},' for f in m['fields'])
        lines.append('    ]},')
    lines.append('  },')
    lines.append('  enums: {')
    lines.extend(f'    {compact(name)}: {compact(values)},' for name, values in b.enums.items())
    lines.append('  },')
    lines.append('});')
    return '\n'.join(lines) + '\n'


def render_file(path):
    fds = descriptor_pb2.FileDescriptorSet()
    with open(path, 'rb') as f:
        fds.ParseFromString(f.read())
    try:
        return render(fds)
    except SchemaError as e:
        raise SystemExit(f'gen_schema.py: {e}')


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--descriptor-set', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()
    with open(args.out, 'w', encoding='utf-8') as f:
        f.write(render_file(args.descriptor_set))


if __name__ == '__main__':
    main()
