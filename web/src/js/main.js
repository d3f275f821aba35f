// Entry point: wire the codec (from the schema generated at build time),
// the store, the live client (or a recording file) and the views together.

import schema from './schema.js';
import { createCodec } from './codec.js';
import { Store } from './store.js';
import { App } from './app.js';
import { LiveClient, defaultWsUrl } from './client.js';
import { h, frameThrottle } from './dom.js';
import * as fmt from './format.js';
import { overviewView } from './views/overview.js';
import { connectionsView } from './views/connections.js';
import { streamsView } from './views/streams.js';
import { dhtView } from './views/dht.js';
import { pubsubView } from './views/pubsub.js';
import { peerstoreView } from './views/peerstore.js';
import { resourcesView } from './views/resources.js';
import { eventsView } from './views/events.js';
import { alertsView } from './views/alerts.js';
import { fleetView } from './views/fleet.js';
import { FleetModel, nodeHref } from './fleet.js';
import { createAlertBanner } from './alertbanner.js';
import { createFocus } from './focus.js';
import { createTimebar } from './timebar.js';
import { createDrawer } from './drawer.js';
import { createSettings, loadConfig } from './settings.js';
import { createStatus } from './status.js';
import { createTopbar } from './topbar.js';
import { initialToken } from './token.js';
import { readRecording, saveRecording } from './recording.js';
import { Seeker } from './seek.js';

const EVENT_RENDER_MS = 200; // events alone redraw at most this often

async function boot() {
  const token = initialToken();
  const codec = createCodec(schema);
  const params = new URLSearchParams(location.search);
  const wsUrl = params.get('ws') || defaultWsUrl(location);
  const store = new Store(codec);
  store.source = { kind: 'live', name: wsUrl };
  const app = new App(store, codec);
  const config = loadConfig();
  store.setConfig(config);

  // ---------------------------------------------------------------- views
  const views = [overviewView(app), connectionsView(app), streamsView(app), dhtView(app), pubsubView(app), peerstoreView(app), resourcesView(app), eventsView(app), alertsView(app)];
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

  // ---------------------------------------------------------------- fleet mode
  // peerscope-hub's /introspect sends Fleet tables instead of states: the
  // page then shows the fleet (views/fleet.js) in place of the node views.
  const fleet = new FleetModel();
  let fleetUi = null;

  function enterFleet() {
    if (fleetUi) return;
    fleetUi = fleetView({
      fleet,
      now: () => Date.now(),
      open: (row) => {
        const href = nodeHref(location, row, params.get('ws') || '');
        if (href) location.assign(href); // same tab: back returns to the fleet; the token stays in sessionStorage
        else app.toast(`The hub gives no page for ${row.name}`, 'error');
      },
    });
    if (active) { active.el.hidden = true; if (active.hide) active.hide(); }
    viewsEl.append(fleetUi.el);
    document.body.dataset.mode = 'fleet';
    document.body.dataset.view = 'fleet';
  }

  // ---------------------------------------------------------------- live client
  let client = null;

  function makeClient(token) {
    return new LiveClient({
      codec,
      wsUrl,
      token,
      config: loadConfig(),
      deltaStates: params.get('deltas') !== '0',
      onMessage: (bytes, msg) => {
        if (store.source.kind !== 'live') return;
        if (msg.payload === 'fleet') {
          enterFleet();
          fleet.takeFleet(msg.fleet);
          soon();
          return;
        }
        // Event.node is set on a hub's fleet stream only (it may come before the first table).
        if (msg.payload === 'event' && (fleetUi || msg.event.node)) {
          fleet.addEvent(msg.event);
          if (!eventTimer) eventTimer = setTimeout(() => { eventTimer = 0; soon(); }, EVENT_RENDER_MS);
          return;
        }
        if (msg.payload === 'runtime' && store.runtime && store.runtime.peer_id !== msg.runtime.peer_id) {
          store.reset({ kind: 'live', name: wsUrl }); // another host answers at this address now
          store.setConfig(client.config);
        }
        store.ingest(bytes, msg);
      },
      onStatus: () => {
        // A new session: what it missed meanwhile is not a drop, and its first state is full.
        if (client && client.status.fresh) { store.newSession(); seeker.cancel(); }
        status.render();
        soon();
      },
      onConfig: (eff) => store.setConfig(eff),
      onError: (text) => app.toast(`Endpoint: ${text}`, 'error'),
    });
  }

  // A delta that does not fit the state held was dropped: ask for a full one.
  // Routine after a lost state, so only a run of them is shown.
  store.onResync = ({ repeated }) => {
    if (client && store.source.kind === 'live') client.requestState();
    if (repeated) app.toast('Delta states from the endpoint keep missing their base; asking for full states again', 'error');
  };

  const ctl = {
    paused: () => !!(client && client.paused),
    connected: () => !!(client && client.status.phase === 'open'),
    setPaused: (p) => { if (client) client.setPaused(p); status.render(); },
  };
  // A replaying endpoint answers REQUEST STATE at_ts with the state of that time.
  const seeker = new Seeker({
    store,
    request: (at) => (client ? client.send(client.Cmd.REQUEST, { source: client.Src.STATE, at_ts: at }) : Promise.reject(new Error('not connected'))),
    onChange: () => soon(),
  });
  const status = createStatus({ store, wsUrl, client: () => client, backToLive });
  const topbar = createTopbar(app);
  const alertBanner = createAlertBanner(app, () => showView('alerts'));
  const focus = createFocus(app, { showView });
  app.focusSubject = focus.open;

  function backToLive() {
    timebar.stopPlay();
    store.reset({ kind: 'live', name: wsUrl });
    store.setConfig(loadConfig());
    client.start();
    status.render();
  }

  // ---------------------------------------------------------------- rendering
  const timebar = createTimebar(app, ctl, seeker);
  const drawer = createDrawer(app);
  const exportBtn = document.getElementById('btn-export');

  function renderNow() {
    topbar.render();
    if (fleetUi) {
      exportBtn.disabled = true; // a recording holds one node: open that node's page to record it
      fleetUi.update();
      document.body.dataset.fleets = String(fleet.fleets);
      return;
    }
    alertBanner.render();
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
    if (c.reset) topbar.render(true);
    if (c.reset || c.runtime) status.render(); // a replaying endpoint shows as one
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
    const { name, size } = saveRecording(store);
    app.toast(`Saved ${name} (${fmt.bytes(size)})`);
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
    let rec;
    try {
      rec = await readRecording(file, codec);
    } catch (e) {
      app.toast(e.message, 'error');
      return;
    }
    if (client) client.stop();
    timebar.stopPlay();
    store.loadRecording(file.name, rec.items, rec.bad);
    if (rec.truncated) app.toast(`${file.name} ends in the middle of a record; the rest was read`, 'error');
    status.render();
    soon();
  }

  // ---------------------------------------------------------------- keyboard
  document.addEventListener('keydown', (ev) => {
    const t = ev.target;
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement || document.querySelector('dialog[open]')) return;
    if (fleetUi) {
      if (ev.key === '/') { fleetUi.focusFilter(); ev.preventDefault(); }
      return;
    }
    if (/^[1-9]$/.test(ev.key) && Number(ev.key) <= views.length) { showView(views[Number(ev.key) - 1].id); ev.preventDefault(); return; }
    switch (ev.key) {
      case ' ': timebar.togglePause(); break;
      case 'ArrowLeft': timebar.step(-1); break;
      case 'ArrowRight': timebar.step(1); break;
      case 'End': timebar.live(); break;
      case 'Escape': app.selectPeer(''); focus.clear(); break;
      case '/': if (active.focusFilter) active.focusFilter(); break;
      default: return;
    }
    ev.preventDefault();
  });

  // ---------------------------------------------------------------- start
  const hashView = new URLSearchParams(location.hash.slice(1)).get('view');
  showView(hashView || 'overview');
  client = makeClient(token);
  status.render();
  renderNow();
  client.start();
  window.peerscope = {
    store,
    app,
    get client() { return client; },
    /** A copy of the store's counters (fullStates, deltasApplied, deltasDropped, resyncs). */
    get stats() { return { ...store.stats }; },
    seeker,
    fleet,
  };
}

boot();
