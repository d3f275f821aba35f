// Where the tests find the tree and the recordings of tests/data (never
// absolute paths in files: meson passes PSC_SOURCE_ROOT / PSC_VECTORS_DIR).
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));

export const sourceRoot = process.env.PSC_SOURCE_ROOT || path.resolve(here, '..', '..', '..');
export const webDir = path.join(sourceRoot, 'web');
export const protoPath = path.join(sourceRoot, 'proto', 'peerscope.proto');
export const vectorsDir = process.env.PSC_VECTORS_DIR
  || path.join(sourceRoot, 'tests', 'data', 'observer-toolkit');
export const artifactsDir = path.resolve(here, '..', 'artifacts');

export function vector(name) {
  return path.join(vectorsDir, name);
}

/** A module of the visualizer itself (shared with the test server). */
export function webModule(rel) {
  return import(new URL(`file://${path.join(webDir, 'src', 'js', rel)}`).href);
}
