// The host in the top bar: implementation, version, platform and its peer
// id with a copy button (the runtime, or the recording's name).

import { h, setText, copyText } from './dom.js';
import * as fmt from './format.js';

export function createTopbar(app) {
  const store = app.store;
  const impl = document.getElementById('node-impl');
  const peer = document.getElementById('node-peer');
  let shown = null;

  function render(force) {
    const rt = store.runtime;
    if (rt === shown && !force) return;
    shown = rt;
    if (!rt) {
      setText(impl, store.source.kind === 'file' ? store.source.name : '–');
      peer.replaceChildren();
      document.title = 'peerscope';
      return;
    }
    setText(impl, [rt.implementation, rt.version, rt.platform].filter(Boolean).join(' · ') || 'unknown host');
    impl.title = [rt.peerscope_version && `peerscope ${rt.peerscope_version}`, rt.start_ts && `started ${fmt.dateTime(rt.start_ts)}`,
      rt.capabilities.length && `capabilities: ${rt.capabilities.join(', ')}`, `${rt.event_types.length} event types`].filter(Boolean).join('\n');
    if (!rt.peer_id) { // peerscope-hub's own runtime: a fleet has no peer id
      peer.replaceChildren();
      document.title = `peerscope · ${rt.implementation || 'fleet'}`;
      return;
    }
    const copy = h('button', { type: 'button', class: 'icon', title: 'copy the peer id' }, 'Copy');
    copy.addEventListener('click', async () => app.toast(await copyText(rt.peer_id) ? 'Peer id copied' : 'Copy failed'));
    peer.replaceChildren(h('span', { class: 'mono node-id', title: rt.peer_id, id: 'node-peer-id' }, rt.peer_id), copy);
    document.title = `peerscope · ${fmt.shortPeer(rt.peer_id)}`;
  }

  return { render };
}
