#!/usr/bin/env python3
"""Write the wire module's field numbers from the schema's descriptor set.

Input: a FileDescriptorSet (protoc-c --descriptor_set_out) of
proto/peerscope.proto. Output: a C header of enum constants, one per field
and one per enum value, so that no encoder spells a field number itself:

    PSC__F_<MESSAGE>__<FIELD>   Connection.peer_id      -> PSC__F_CONNECTION__PEER_ID
                                Connection.Timeline.open_ts -> PSC__F_CONNECTION_TIMELINE__OPEN_TS
    PSC__E_<ENUM>__<VALUE>      Status.CLOSED           -> PSC__E_STATUS__CLOSED

Two schema names that map to one C name are an error, not a silent clash.
"""
import argparse
import re
import sys

from google.protobuf import descriptor_pb2


def upper_snake(name):
    s = re.sub(r'([a-z0-9])([A-Z])', r'\1_\2', name)
    s = re.sub(r'([A-Z]+)([A-Z][a-z])', r'\1_\2', s)
    return s.upper()


def walk(prefix, msg, out):
    path = prefix + [msg.name]
    c_msg = '_'.join(upper_snake(p) for p in path)
    fields = [(f'PSC__F_{c_msg}__{upper_snake(f.name)}', f.number, f'{".".join(path)}.{f.name}')
              for f in sorted(msg.field, key=lambda f: f.number)]
    out.append(('fields', '.'.join(path), fields))
    for e in msg.enum_type:
        enum(path, e, out)
    for m in msg.nested_type:
        if not m.options.map_entry:
            walk(path, m, out)


def enum(prefix, e, out):
    path = prefix + [e.name]
    c_enum = '_'.join(upper_snake(p) for p in path)
    values = [(f'PSC__E_{c_enum}__{v.name}', v.number, f'{".".join(path)}.{v.name}') for v in e.value]
    out.append(('values', '.'.join(path), values))


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--descriptor-set', required=True)
    ap.add_argument('--out', required=True)
    args = ap.parse_args()

    fds = descriptor_pb2.FileDescriptorSet()
    with open(args.descriptor_set, 'rb') as f:
        fds.ParseFromString(f.read())

    groups = []
    for fd in fds.file:
        for e in fd.enum_type:
            enum([], e, groups)
        for m in fd.message_type:
            walk([], m, groups)

    seen = {}
    lines = [
        '/* Generated from proto/peerscope.proto by src/wire/gen_fields.py: do not edit. */',
        '#ifndef PSC_WIRE_PB_FIELDS_H',
        '#define PSC_WIRE_PB_FIELDS_H',
        '',
    ]
    for kind, name, items in groups:
        if not items:
            continue
        lines.append(f'/* {name}: {"field numbers" if kind == "fields" else "enum values"} */')
        lines.append('enum {')
        for c, number, origin in items:
            if c in seen:
                sys.exit(f'gen_fields: {origin} and {seen[c]} both map to {c}')
            seen[c] = origin
            lines.append(f'    {c} = {number},')
        lines.append('};')
        lines.append('')
    lines.append('#endif')
    text = '\n'.join(lines) + '\n'

    try:
        with open(args.out, encoding='utf-8') as f:
            if f.read() == text:
                return
    except FileNotFoundError:
        pass
    with open(args.out, 'w', encoding='utf-8') as f:
        f.write(text)


if __name__ == '__main__':
    main()
