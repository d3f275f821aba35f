// What every view shares: the store, enum names from the schema, the
// selected peer (highlighted everywhere through one constructed style
// rule, so even rows drawn later pick it up), peer chips and toasts.

import { h } from './dom.js';
import { shortPeer, peerHue } from './format.js';

export class App {
  constructor(store, codec) {
    this.store = store;
    this.codec = codec;
    this.names = {
      status: codec.enumNames('Status'),
      dhtStatus: codec.enumNames('DHT.PeerInDHT.Status'),
      propType: codec.enumNames('EventType.EventProperty.PropertyType'),
      scopeKind: codec.enumNames('ResourceManager.ScopeKind'),
    };
    this.types = codec.enumValues('EventType.EventProperty.PropertyType');
    this.selectedPeer = '';
    this.selectListeners = new Set();
    this.sheet = new CSSStyleSheet();
    document.adoptedStyleSheets = [...document.adoptedStyleSheets, this.sheet];
  }

  onSelect(fn) {
    this.selectListeners.add(fn);
  }

  /** Select a peer (or clear with ''): highlighted in every view, shown in the drawer. */
  selectPeer(id) {
    if (id === this.selectedPeer) id = '';
    this.selectedPeer = id;
    const rules = id ? [
      `.vt-row[data-peer="${CSS.escape(id)}"] { background: var(--sel-bg); }`,
      `.peer[data-peer="${CSS.escape(id)}"], .dht-peer[data-peer="${CSS.escape(id)}"] { outline: 2px solid var(--accent); outline-offset: 1px; }`,
    ] : [];
    this.sheet.replaceSync(rules.join('\n'));
    for (const fn of this.selectListeners) fn(id);
  }

  /** A clickable peer id: colour dot and short form, full id on hover. */
  peerChip(id, opts = {}) {
    if (!id) return h('span', { class: 'muted' }, '–');
    const dot = h('span', { class: 'pdot' });
    dot.style.setProperty('--h', String(peerHue(id)));
    return h('span', {
      class: 'peer',
      title: `${id}\n(click to select this peer everywhere)`,
      dataset: { peer: id },
      onclick: (ev) => { ev.stopPropagation(); this.selectPeer(id); },
    }, dot, opts.full ? id : shortPeer(id));
  }

  /** Put a peer chip into a table cell, rebuilding it only when the peer changes. */
  peerCell(cell, id) {
    if (cell.peer === id) return;
    cell.peer = id;
    if (id) cell.replaceChildren(this.peerChip(id));
    else cell.replaceChildren();
  }

  toast(text, kind = 'info') {
    const box = document.getElementById('toasts');
    const t = h('div', { class: `toast ${kind}`, role: kind === 'error' ? 'alert' : 'status' }, text);
    box.append(t);
    setTimeout(() => t.remove(), kind === 'error' ? 8000 : 4000);
  }

  /** "active", "closed", ...; -1 is a connection that vanished from the states. */
  statusName(s) {
    if (s === -1) return 'gone';
    return (this.names.status[s] || String(s)).toLowerCase();
  }
}

/** A status pill element's text and class for a Status value. */
export function statusPill(app, cell, status) {
  if (cell.status === status) return;
  cell.status = status;
  const name = app.statusName(status);
  cell.replaceChildren(h('span', { class: `pill st-${name}` }, name));
}
