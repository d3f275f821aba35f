// Loads the compiled addon (peerscope.node, built by meson into
// <build>/bindings/node/). Where it is: $PEERSCOPE_ADDON (the file), else
// $PEERSCOPE_BUILD (a meson build directory, relative to the current
// directory or absolute), else build/ at the top of this source tree.

import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const top = resolve(here, '..', '..', '..');

/** The path the addon is loaded from. */
export function addonPath() {
  if (process.env.PEERSCOPE_ADDON) return resolve(process.env.PEERSCOPE_ADDON);
  const build = process.env.PEERSCOPE_BUILD || 'build';
  const dir = isAbsolute(build) ? build : existsSync(resolve(build)) ? resolve(build) : join(top, build);
  return join(dir, 'bindings', 'node', 'peerscope.node');
}

let cached = null;

/**
 * The addon's exports: Introspector, Table, Connection, Stream, Endpoint,
 * EventType, version(). Throws with the path it tried when it is not built.
 */
export function loadAddon() {
  if (cached) return cached;
  const path = addonPath();
  if (!existsSync(path)) {
    throw new Error(`peerscope: the addon is not built at ${path} (meson setup build && ninja -C build, ` +
      'or set PEERSCOPE_BUILD to your build directory, or PEERSCOPE_ADDON to the file)');
  }
  cached = createRequire(import.meta.url)(path);
  return cached;
}
