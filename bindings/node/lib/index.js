// peerscope for Node.js. The low-level API is the addon's (see addon.js and
// bindings/node/README.md): an Introspector with its WebSocket endpoint,
// events and push table. peerscope() is a js-libp2p metrics component built
// on it (libp2p.js).

export { addonPath, loadAddon } from './addon.js';
export { peerscope, kadId, commonPrefixLength } from './libp2p.js';
