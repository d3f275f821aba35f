// The page's files exactly as the library embeds them (web/embed.py
// --stage), including the schema module the build generates from the
// .proto, for the mock endpoint and the unit tests.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { webDir } from './paths.mjs';

// embed.py needs Python's google.protobuf; a python3 earlier on PATH (a
// virtualenv, pyenv) may lack Debian's module, as proto/meson.build knows.
function python() {
  const candidates = [process.env.PSC_PYTHON, 'python3', '/usr/bin/python3'].filter(Boolean);
  for (const exe of candidates) {
    const r = spawnSync(exe, ['-c', 'import google.protobuf'], { stdio: 'ignore' });
    if (r.status === 0) return exe;
  }
  throw new Error(`no Python with google.protobuf among ${candidates.join(', ')} (Debian: apt-get install python3-protobuf)`);
}

// The build's own descriptor set when meson runs the tests; otherwise
// embed.py makes one with protoc-c.
function descriptorSet() {
  const root = process.env.PSC_BUILD_ROOT;
  const desc = root && path.join(root, 'proto', 'peerscope.desc');
  return desc && fs.existsSync(desc) ? ['--descriptor-set', desc] : [];
}

/** Map of URL path -> {path, mime, etag, size, data (Buffer)}. */
export function stageAssets() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'psc-web-assets-'));
  try {
    const r = spawnSync(python(), [path.join(webDir, 'embed.py'), '--stage', dir, ...descriptorSet()], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`embed.py --stage failed: ${r.stderr || r.error}`);
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, 'manifest.json'), 'utf8'));
    const files = new Map();
    for (const f of manifest.files) files.set(f.path, { ...f, data: fs.readFileSync(path.join(dir, ...f.path.slice(1).split('/'))) });
    return files;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The generated schema the page decodes with (from files, staged when not given). */
export async function loadSchema(files = stageAssets()) {
  const f = files.get('/js/schema.js');
  if (!f) throw new Error('embed.py staged no /js/schema.js');
  return (await import(`data:text/javascript;base64,${f.data.toString('base64')}`)).default;
}

/**
 * The schema module web/gen_schema.py makes of another .proto file (for
 * testing the generator and the codec on types peerscope.proto lacks).
 */
export async function generateSchema(protoFile) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'psc-schema-'));
  try {
    const desc = path.join(dir, 'schema.desc');
    const out = path.join(dir, 'schema.js');
    const protoc = spawnSync('protoc-c', [`--proto_path=${path.dirname(protoFile)}`, `--descriptor_set_out=${desc}`, path.basename(protoFile)], { encoding: 'utf8' });
    if (protoc.status !== 0) throw new Error(`protoc-c failed: ${protoc.stderr || protoc.error}`);
    const gen = spawnSync(python(), [path.join(webDir, 'gen_schema.py'), '--descriptor-set', desc, '--out', out], { encoding: 'utf8' });
    if (gen.status !== 0) throw new Error(`gen_schema.py failed: ${gen.stderr || gen.error}`);
    return (await import(`data:text/javascript;base64,${fs.readFileSync(out).toString('base64')}`)).default;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
