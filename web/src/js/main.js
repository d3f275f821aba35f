// Entry point: load the schema the endpoint serves, then wire the store,
// the live client (or a recording file) and the views together.

import { createCodec, DecodeError } from './codec.js';
import { Store } from './store.js';
import { App } from './app.js';
import { LiveClient, defaultWsUrl } from './client.js';
import { parseRecording, FrameError } from './wire.js';
import { h, setText, copyText, frameThrottle } from './dom.js';
import * as fmt from './format.js';
import { overviewView } from './views/overview.js';
import { connectionsView } from './views/connections.js';
import { streamsView } from './views/streams.js';
import { dhtView } from './views/dht.js';
import { pubsubView } from './views/pubsub.js';
import { peerstoreView } from './views/peerstore.js';
import { resourcesView } from './views/resources.js';
import { eventsView } from './views/events.js';
import { createTimebar } from './timebar.js';
import { createDrawer } from './drawer.js';
import { createSettings, loadConfig } from './settings.js';

const TOKEN_KEY = 'peerscope.token';
const EVENT_RENDER_MS = 200; // events alone redraw at most this often

function fatal(text) {
  document.body.dataset.phase = 'fatal';
  document.getElementById('views').replaceChildren(h('div', { class: 'fatal' }, h('h2', null, 'The visualizer cannot start'), h('p', null, text)));
}

/** Take ?token= / #token= out of the address bar (and history), keep it for this tab. */
function initialToken() {
  const q = new URLSearchParams(location.search);
  const f = new URLSearchParams(location.hash.slice(1));
  let token = '';
  try { token = sessionStorage.getItem(TOKEN_KEY) || ''; } catch { token = ''; }
  const given = q.get('token') || f.get('token');
  if (given !== null && given !== '') {
    token = given;
    try { sessionStorage.setItem(TOKEN_KEY, token); } catch { /* not remembered */ }
  }
  if (q.has('token') || f.has('token')) {
    q.delete('token');
    f.delete('token');
    const qs = q.toString();
    const fs = f.toString();
    history.replaceState(null, '', `${location.pathname}${qs ? `?${qs}` : ''}${fs ? `#${fs}` : ''}`);
  }
  return token;
}

async function loadSchema() {
  const pb = globalThis.protobuf;
  if (!pb) throw new Error('protobuf.js did not load (/vendor/protobuf.min.js)');
  const res = await fetch('/peerscope.proto', { cache: 'no-cache' });
  if (!res.ok) throw new Error(`/peerscope.proto: HTTP ${res.status}`);
  return createCodec(pb, await res.text());
}

async function boot() {
  const token = initialToken();
  let codec;
  try {
    codec = await loadSchema();
  } catch (e) {
    fatal(`Cannot load the schema: ${e.message}`);
    return;
  }
  const params = new URLSearchParams(location.search);
  const wsUrl = params.get('ws') || defaultWsUrl(location);
  const store = new Store(codec);
  store.source = { kind: 'live', name: wsUrl };
  const app = new App(store, codec);
  const config = loadConfig();
  store.setConfig(config);

  // ---------------------------------------------------------------- views
  const views = [overviewView(app), connectionsView(app), streamsView(app), dhtView(app), pubsubView(app), peerstoreView(app), resourcesView(app), eventsView(app)];
  const viewsEl = document.getElementById('views');
  const tabs = document.getElementById('tabs');
  const tabEls = new Map();
  views.forEach((v, i) => {
    v.el.hidden = true;
    viewsEl.append(v.el);
    const badge = h('span', { class: 'badge' });
    const t = h('button', { type: 'button', class: 'tab', role: 'tab', dataset: { view: v.id }, title: `${v.title} (${i + 1})` }, v.title, badge);
    t.badge = badge;
    t.addEventListener('click', () => showView(v.id));
    tabs.append(t);
    tabEls.set(v.id, t);
  });
  let active = null;

  function showView(id) {
    const v = views.find((x) => x.id === id) || views[0];
    if (active === v) return;
    if (active) {
      active.el.hidden = true;
      if (active.hide) active.hide();
      tabEls.get(active.id).setAttribute('aria-selected', 'false');
    }
    active = v;
    v.el.hidden = false;
    if (v.show) v.show();
    tabEls.get(v.id).setAttribute('aria-selected', 'true');
    document.body.dataset.view = v.id;
    const f = new URLSearchParams(location.hash.slice(1));
    f.set('view', v.id);
    history.replaceState(null, '', `${location.pathname}${location.search}#${f}`);
    v.update();
  }

  // ---------------------------------------------------------------- live client
  let client = null;
  const status = document.getElementById('conn-status');
  const banner = document.getElementById('banner');
  let countdown = 0;

  function makeClient(token) {
    return new LiveClient({
      codec,
      wsUrl,
      token,
      config: loadConfig(),
      onMessage: (bytes, msg) => {
        if (store.source.kind !== 'live') return;
        if (msg.payload === 'runtime' && store.runtime && store.runtime.peer_id !== msg.runtime.peer_id) {
          store.reset({ kind: 'live', name: wsUrl }); // another host answers at this address now
          store.setConfig(client.config);
        }
        store.ingest(bytes, msg);
      },
      onStatus: () => {
        if (client && client.status.fresh) store.lastEventSeq = 0; // a new session: what it missed meanwhile is not a drop
        renderStatus();
        soon();
      },
      onConfig: (eff) => store.setConfig(eff),
      onError: (text) => app.toast(`Endpoint: ${text}`, 'error'),
    });
  }

  const ctl = {
    paused: () => !!(client && client.paused),
    connected: () => !!(client && client.status.phase === 'open'),
    setPaused: (p) => { if (client) client.setPaused(p); renderStatus(); },
  };

  function tokenForm(hadToken) {
    const input = h('input', { type: 'password', id: 'token-input', placeholder: 'access token', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'access token' });
    const form = h('form', { class: 'token-form' },
      h('span', null, hadToken ? 'The endpoint refused this token. ' : 'This endpoint requires an access token. '),
      input,
      h('button', { type: 'submit', class: 'primary' }, 'Connect'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = input.value.trim();
      if (!t) return;
      try { sessionStorage.setItem(TOKEN_KEY, t); } catch { /* not remembered */ }
      client.setToken(t);
    });
    setTimeout(() => input.focus(), 0);
    return form;
  }

  let shown = { s: null, phase: '', source: null };
  function renderStatus() {
    const file = store.source.kind === 'file';
    const s = client ? client.status : { phase: 'idle' };
    const phase = file ? 'file' : s.phase === 'open' && s.paused ? 'paused' : s.phase;
    // Rebuilding the banner would also wipe a token being typed.
    if (shown.s === s && shown.phase === phase && shown.source === store.source) return;
    shown = { s, phase, source: store.source };
    clearInterval(countdown);
    const label = status.querySelector('.label');
    status.dataset.phase = phase;
    document.body.dataset.phase = phase;
    banner.dataset.kind = phase;
    const text = {
      file: 'Recording',
      idle: 'Starting',
      connecting: 'Connecting…',
      open: 'Live',
      paused: 'Paused',
      retrying: 'Disconnected',
      auth: 'Token required',
      incompatible: 'Incompatible',
      stopped: 'Stopped',
    }[phase] || phase;
    setText(label, text);
    status.title = file ? `viewing ${store.source.name}` : `${wsUrl}`;
    let content = null;
    if (file) {
      content = [h('span', null, 'Viewing the recording ', h('b', null, store.source.name), ` — ${store.states.length} states, ${store.events.length} events${store.corrupt ? `, ${store.corrupt} corrupted records skipped` : ''}. `),
        h('button', { type: 'button', onclick: backToLive }, 'Back to live')];
    } else if (phase === 'connecting' || phase === 'idle') {
      content = store.states.length ? null : [h('span', { class: 'spinner' }), ` Connecting to ${wsUrl}…`];
    } else if (phase === 'retrying') {
      const tick = () => {
        const left = Math.max(0, Math.ceil((s.at - Date.now()) / 1000));
        banner.querySelector('.cd').textContent = `${left}s`;
      };
      content = [h('span', null, `Disconnected from ${wsUrl} (${s.reason}). Reconnecting in `, h('span', { class: 'cd' }, ''), ` (attempt ${s.attempt}). `),
        h('button', { type: 'button', onclick: () => client.retry() }, 'Retry now'),
        h('button', { type: 'button', onclick: () => client.askToken(), title: 'connect with an access token' }, 'Use a token…')];
      countdown = setInterval(tick, 500);
      setTimeout(tick, 0);
    } else if (phase === 'auth') {
      content = tokenForm(s.hadToken);
    } else if (phase === 'incompatible') {
      content = [h('span', null, h('b', null, 'Incompatible data: '), `${s.detail}. This page reads the introspection protocol version 1. `),
        h('button', { type: 'button', onclick: () => client.retry() }, 'Retry')];
    }
    banner.hidden = !content;
    if (content) banner.replaceChildren(...[content].flat());
    else banner.replaceChildren();
  }

  function backToLive() {
    timebar.stopPlay();
    store.reset({ kind: 'live', name: wsUrl });
    store.setConfig(loadConfig());
    client.start();
    renderStatus();
  }

  // ---------------------------------------------------------------- top bar
  const nodeImpl = document.getElementById('node-impl');
  const nodePeer = document.getElementById('node-peer');
  let shownRuntime = null;
  function renderNode() {
    const rt = store.runtime;
    if (rt === shownRuntime) return;
    shownRuntime = rt;
    if (!rt) {
      setText(nodeImpl, store.source.kind === 'file' ? store.source.name : '–');
      nodePeer.replaceChildren();
      document.title = 'peerscope';
      return;
    }
    setText(nodeImpl, [rt.implementation, rt.version, rt.platform].filter(Boolean).join(' · ') || 'unknown host');
    nodeImpl.title = [rt.peerscope_version && `peerscope ${rt.peerscope_version}`, rt.start_ts && `started ${fmt.dateTime(rt.start_ts)}`,
      rt.capabilities.length && `capabilities: ${rt.capabilities.join(', ')}`, `${rt.event_types.length} event types`].filter(Boolean).join('\n');
    const copy = h('button', { type: 'button', class: 'icon', title: 'copy the peer id' }, 'Copy');
    copy.addEventListener('click', async () => app.toast(await copyText(rt.peer_id) ? 'Peer id copied' : 'Copy failed'));
    nodePeer.replaceChildren(h('span', { class: 'mono node-id', title: rt.peer_id, id: 'node-peer-id' }, rt.peer_id), copy);
    document.title = `peerscope · ${fmt.shortPeer(rt.peer_id)}`;
  }

  // ---------------------------------------------------------------- rendering
  const timebar = createTimebar(app, ctl);
  const drawer = createDrawer(app);
  const exportBtn = document.getElementById('btn-export');

  function renderNow() {
    renderNode();
    for (const v of views) {
      const t = tabEls.get(v.id);
      const b = v.badge();
      if (t.badge.textContent !== b) t.badge.textContent = b;
    }
    timebar.render();
    if (active) active.update();
    if (app.selectedPeer) drawer.render();
    exportBtn.disabled = !store.runtimeBytes && !store.states.length;
    document.body.dataset.states = String(store.states.length);
  }
  const soon = frameThrottle(renderNow);
  let eventTimer = 0;
  store.subscribe((c) => {
    if ((c.event || c.notice) && !c.reset) {
      if (!eventTimer) eventTimer = setTimeout(() => { eventTimer = 0; soon(); }, EVENT_RENDER_MS);
      return;
    }
    if (c.reset) shownRuntime = undefined;
    soon();
  });
  app.onSelect(() => { drawer.render(); });

  // ---------------------------------------------------------------- actions
  const settings = createSettings(app, async (cfg) => {
    if (client && store.source.kind === 'live') {
      const eff = await client.updateConfig(cfg);
      store.setConfig(eff);
      return eff;
    }
    return cfg;
  });
  document.getElementById('btn-settings').addEventListener('click', () => settings.open(client ? client.config : loadConfig(), ctl.connected()));

  exportBtn.addEventListener('click', () => {
    const bytes = store.exportRecording();
    const rt = store.runtime;
    const d = new Date();
    const stamp = `${d.getFullYear()}${String(d.getMonth() + 1).padStart(2, '0')}${String(d.getDate()).padStart(2, '0')}-${String(d.getHours()).padStart(2, '0')}${String(d.getMinutes()).padStart(2, '0')}${String(d.getSeconds()).padStart(2, '0')}`;
    const name = `peerscope-${rt ? rt.peer_id.slice(-8) : 'session'}-${stamp}.recording`;
    const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
    const a = h('a', { href: url, download: name, class: 'offscreen' });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 60000);
    app.toast(`Saved ${name} (${fmt.bytes(bytes.length)})`);
  });

  const fileInput = document.getElementById('file-input');
  document.getElementById('btn-open').addEventListener('click', () => fileInput.click());
  fileInput.addEventListener('change', async () => {
    const file = fileInput.files && fileInput.files[0];
    fileInput.value = '';
    if (file) await openRecording(file);
  });
  // Drop a recording anywhere on the page.
  document.addEventListener('dragover', (ev) => { ev.preventDefault(); });
  document.addEventListener('drop', async (ev) => {
    ev.preventDefault();
    const file = ev.dataTransfer && ev.dataTransfer.files[0];
    if (file) await openRecording(file);
  });

  async function openRecording(file) {
    let parsed;
    try {
      parsed = parseRecording(new Uint8Array(await file.arrayBuffer()));
    } catch (e) {
      app.toast(`${file.name} is not a recording: ${e instanceof FrameError ? e.message : e}`, 'error');
      return;
    }
    const items = [];
    let bad = parsed.skipped;
    for (const bytes of parsed.messages) {
      try {
        items.push({ bytes, msg: codec.decode('ServerMessage', bytes) });
      } catch (e) {
        if (!(e instanceof DecodeError)) throw e;
        bad++;
      }
    }
    if (!items.some((x) => x.msg.payload === 'state' || x.msg.payload === 'event')) {
      app.toast(`${file.name} holds no states or events`, 'error');
      return;
    }
    if (client) client.stop();
    timebar.stopPlay();
    store.loadRecording(file.name, items, bad);
    if (parsed.truncated) app.toast(`${file.name} ends in the middle of a record; the rest was read`, 'error');
    renderStatus();
    soon();
  }

  // ---------------------------------------------------------------- keyboard
  document.addEventListener('keydown', (ev) => {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || document.querySelector('dialog[open]')) return;
    if (ev.key >= '1' && ev.key <= String(views.length)) { showView(views[Number(ev.key) - 1].id); ev.preventDefault(); return; }
    switch (ev.key) {
      case ' ': timebar.togglePause(); break;
      case 'ArrowLeft': timebar.step(-1); break;
      case 'ArrowRight': timebar.step(1); break;
      case 'End': timebar.live(); break;
      case 'Escape': app.selectPeer(''); break;
      case '/': if (active.focusFilter) active.focusFilter(); break;
      default: return;
    }
    ev.preventDefault();
  });

  // ---------------------------------------------------------------- start
  const hashView = new URLSearchParams(location.hash.slice(1)).get('view');
  showView(hashView || 'overview');
  client = makeClient(token);
  renderStatus();
  renderNow();
  client.start();
  window.peerscope = { store, app, get client() { return client; } };
}

boot();
