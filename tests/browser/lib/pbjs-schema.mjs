// A schema in the format of the generated /js/schema.js, made from protobufjs's parse.

const PBJS_SCALARS = new Set(['double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32', 'int64', 'uint64',
  'sint64', 'fixed64', 'sfixed64', 'bool', 'string', 'bytes']);

/**
 * The schema (in the generated module's format) of protoText as protobufjs
 * (the namespace object, e.g. Node's `import protobuf from 'protobufjs'`)
 * parses it: the independent check of web/gen_schema.py's output, and the
 * schema of Node tests that have protobufjs but not the build.
 */
export function schemaFromProtobufjs(protobuf, protoText) {
  const root = protobuf.parse(protoText, { keepCase: true }).root;
  root.resolveAll();
  const pkgNs = root.nestedArray.find((n) => n instanceof protobuf.Namespace && !(n instanceof protobuf.Type));
  const pkg = pkgNs ? pkgNs.name : '';
  const rel = (t) => t.fullName.slice(pkg ? pkg.length + 2 : 1);
  const messages = {};
  const enums = {};
  function walk(ns) {
    for (const n of ns.nestedArray) {
      if (n instanceof protobuf.Type) {
        messages[rel(n)] = {
          oneofs: n.oneofsArray.map((o) => o.name),
          fields: n.fieldsArray.map((f) => {
            const out = { name: f.name, number: f.id };
            if (f.map) Object.assign(out, { map: true, key: f.keyType });
            if (f.resolvedType instanceof protobuf.Type) out.message = rel(f.resolvedType);
            else if (f.resolvedType instanceof protobuf.Enum) out.enum = rel(f.resolvedType);
            else if (PBJS_SCALARS.has(f.type)) out.type = f.type;
            else throw new Error(`unsupported field type ${f.type} of ${f.fullName}`);
            if (f.repeated && !f.map) {
              out.repeated = true;
              const packable = !(f.resolvedType instanceof protobuf.Type) && f.type !== 'string' && f.type !== 'bytes';
              if (f.packed && packable) out.packed = true;
            }
            if (f.partOf) out.oneof = f.partOf.name;
            return out;
          }),
        };
      } else if (n instanceof protobuf.Enum) {
        enums[rel(n)] = { ...n.values };
      }
      if (n instanceof protobuf.Namespace) walk(n);
    }
  }
  walk(root);
  return { package: pkg, messages, enums };
}
