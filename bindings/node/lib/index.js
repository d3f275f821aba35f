// peerscope for Node.js. The low-level API is the addon's (see addon.js and
// bindings/node/README.md): an Introspector with its WebSocket endpoint,
// events and push table.

export { addonPath, loadAddon } from './addon.js';
