// The live session with an endpoint, in the 2020 protocol: HELLO (then
// nothing until its response), REQUEST RUNTIME, PUSH_ENABLE EVENTS,
// PUSH_ENABLE STATE; PUSH_PAUSE / PUSH_RESUME; UPDATE_CONFIG; REQUEST STATE
// to resync. Reconnects with backoff, asks for a token when the endpoint
// wants one, and stops on data it cannot read.
//
// HELLO also asks for delta states (a peerscope extension): an endpoint
// that does not know the field ignores it, as proto3 does, and keeps
// sending full states; the store rebuilds full ones from deltas.

import { parseFrame, FrameError } from './wire.js';
import { DecodeError } from './codec.js';

// One counter per page, like the 2020 visualizer: ids never restart, not
// even after a reconnect.
let nextCommandId = 1;

const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 15000;
// Without an answer from /healthz, this many refusals in a row (the upgrade
// failed while the HTTP server answers) are taken as "token required".
const REFUSALS_BEFORE_PROMPT = 2;

/**
 * The WebSocket next to the page: ws(s)://host/DIR/introspect for a page at
 * /DIR/ (or /DIR/index.html). A node's page that peerscope-hub serves at
 * /node/NAME/ thus talks to /node/NAME/introspect, an endpoint's own page
 * at / to /introspect.
 */
export function defaultWsUrl(loc) {
  const path = loc.pathname || '/';
  const dir = path.slice(0, path.lastIndexOf('/') + 1) || '/';
  return `${loc.protocol === 'https:' ? 'wss' : 'ws'}://${loc.host}${dir}introspect`;
}

export class LiveClient {
  /**
   * opts: codec, wsUrl, token, config {retention_period_ms, state_snapshot_interval_ms},
   * deltaStates (default true: ask for delta states in HELLO),
   * onMessage(bytes, msg), onStatus(status), onConfig(effective), onError(text)
   */
  constructor(opts) {
    this.codec = opts.codec;
    this.wsUrl = opts.wsUrl;
    this.token = opts.token || '';
    this.config = { ...opts.config };
    this.deltaStates = opts.deltaStates !== false;
    this.onMessage = opts.onMessage;
    this.onStatus = opts.onStatus;
    this.onConfig = opts.onConfig || (() => {});
    this.onError = opts.onError || (() => {});
    this.Cmd = this.codec.enumValues('ClientCommand.Command');
    this.Src = this.codec.enumValues('ClientCommand.Source');
    this.OK = this.codec.enumValues('CommandResponse.Result').OK;
    this.ws = null;
    this.pending = new Map();
    this.paused = false;
    this.helloDone = false;
    this.stopped = true;
    this.attempt = 0;
    this.refusals = 0;
    this.retryTimer = 0;
    this.gen = 0; // bumps on every connect/stop so stale callbacks do nothing
    this.status = { phase: 'idle' };
  }

  setStatus(status) {
    this.status = status;
    this.onStatus(status);
  }

  start() {
    this.stopped = false;
    this.connect();
  }

  stop() {
    this.stopped = true;
    this.gen++;
    clearTimeout(this.retryTimer);
    this.dropSocket();
    this.setStatus({ phase: 'stopped' });
  }

  /** Use a (new) token and connect with it now. */
  setToken(token) {
    this.token = token;
    this.refusals = 0;
    this.attempt = 0;
    this.start();
  }

  /** Connect now (the "retry" button). */
  retry() {
    this.attempt = 0;
    this.start();
  }

  get healthUrl() {
    const u = new URL(this.wsUrl);
    u.protocol = u.protocol === 'wss:' ? 'https:' : 'http:';
    u.pathname = '/healthz';
    u.search = '';
    return u.href;
  }

  get socketUrl() {
    if (!this.token) return this.wsUrl;
    const u = new URL(this.wsUrl);
    u.searchParams.set('token', this.token);
    return u.href;
  }

  /**
   * What /healthz says: {reachable, tokenRequired?, authorized?}. The two
   * flags are undefined when the endpoint does not report them, all three
   * for an endpoint on another origin.
   */
  async probe() {
    // Only the page's own origin: elsewhere the browser would need CORS
    // headers for this and log an error without them.
    if (typeof location !== 'undefined' && new URL(this.healthUrl).origin !== location.origin) return { reachable: undefined };
    const headers = this.token ? { Authorization: `Bearer ${this.token}` } : {};
    try {
      const res = await fetch(this.healthUrl, { cache: 'no-store', headers });
      let info = {};
      try { info = await res.json(); } catch { info = {}; }
      const denied = res.status === 401 || res.status === 403;
      return {
        reachable: true,
        tokenRequired: typeof info.token_required === 'boolean' ? info.token_required : denied ? true : undefined,
        authorized: typeof info.authorized === 'boolean' ? info.authorized : denied ? false : undefined,
      };
    } catch {
      return { reachable: false };
    }
  }

  async connect() {
    clearTimeout(this.retryTimer);
    this.dropSocket();
    const gen = ++this.gen;
    this.setStatus({ phase: 'connecting', attempt: this.attempt });
    const p = await this.probe();
    if (gen !== this.gen) return;
    if (p.reachable && p.tokenRequired === true && p.authorized === false) {
      this.askToken();
      return;
    }
    let ws;
    try {
      ws = new WebSocket(this.socketUrl);
    } catch (e) {
      this.setStatus({ phase: 'incompatible', detail: `cannot open ${this.wsUrl}: ${e.message}` });
      return;
    }
    ws.binaryType = 'arraybuffer';
    this.ws = ws;
    let opened = false;
    ws.onopen = () => {
      if (gen !== this.gen) return;
      opened = true;
      this.refusals = 0;
      this.hello(gen);
    };
    ws.onmessage = (ev) => {
      if (gen === this.gen) this.receive(ev.data);
    };
    ws.onclose = (ev) => {
      if (gen === this.gen) this.closed(opened, ev);
    };
  }

  dropSocket() {
    const ws = this.ws;
    this.ws = null;
    this.helloDone = false;
    for (const { reject } of this.pending.values()) reject(new Error('connection closed'));
    this.pending.clear();
    if (ws) {
      ws.onopen = ws.onmessage = ws.onclose = null;
      if (ws.readyState <= 1) ws.close(1000);
    }
  }

  /** Stop trying and wait for a token (setToken). */
  askToken() {
    this.gen++;
    clearTimeout(this.retryTimer);
    this.dropSocket();
    this.setStatus({ phase: 'auth', hadToken: !!this.token });
  }

  async closed(opened, ev) {
    const gen = this.gen;
    this.ws = null;
    this.helloDone = false;
    for (const { reject } of this.pending.values()) reject(new Error('connection closed'));
    this.pending.clear();
    if (this.stopped || this.status.phase === 'incompatible') return;
    if (!opened) {
      // The upgrade failed: the endpoint is down, or it refused us.
      const p = await this.probe();
      if (gen !== this.gen) return;
      if (p.reachable) {
        this.refusals++;
        const refusedForToken = p.tokenRequired === true ? p.authorized !== true
          : p.tokenRequired === undefined && this.refusals >= REFUSALS_BEFORE_PROMPT;
        if (refusedForToken) { this.askToken(); return; }
      }
    }
    this.scheduleRetry(opened ? `closed with code ${ev.code}` : 'cannot connect');
  }

  scheduleRetry(reason) {
    const delay = Math.min(RETRY_MAX_MS, RETRY_BASE_MS * 2 ** this.attempt) * (0.8 + 0.4 * Math.random());
    this.attempt++;
    const at = Date.now() + delay;
    this.setStatus({ phase: 'retrying', reason, at, attempt: this.attempt });
    this.retryTimer = setTimeout(() => { if (!this.stopped) this.connect(); }, delay);
  }

  incompatible(detail) {
    this.gen++;
    clearTimeout(this.retryTimer);
    this.dropSocket();
    this.setStatus({ phase: 'incompatible', detail });
  }

  receive(data) {
    if (!(data instanceof ArrayBuffer)) {
      this.incompatible('the endpoint sent a text message; the introspection protocol is binary');
      return;
    }
    let payload;
    let msg;
    try {
      payload = parseFrame(data);
      msg = this.codec.decode('ServerMessage', payload);
    } catch (e) {
      if (e instanceof FrameError || e instanceof DecodeError) {
        this.incompatible(e.message);
        return;
      }
      throw e;
    }
    if (msg.payload === 'response') {
      this.response(msg.response);
      return;
    }
    // Copy out of the socket's buffer: the store keeps these bytes.
    this.onMessage(payload.slice(), msg);
  }

  response(r) {
    const p = this.pending.get(r.id);
    if (p) {
      this.pending.delete(r.id);
      p.resolve(r);
    } else if (r.result !== this.OK) {
      this.onError(r.error || `command ${r.id} failed`);
    }
  }

  /** Send one command; resolves with its CommandResponse (or rejects on close). */
  send(command, extra) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return Promise.reject(new Error('not connected'));
    const id = nextCommandId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      ws.send(this.codec.encode('ClientCommand', { id, command, ...extra }));
    });
  }

  /**
   * Send a command whose success needs no answer here: a REQUEST is
   * answered by the data itself, so only an ERR response comes back with
   * its id, and response() reports it.
   */
  fire(command, extra) {
    const ws = this.ws;
    if (!ws || ws.readyState !== WebSocket.OPEN) return;
    ws.send(this.codec.encode('ClientCommand', { id: nextCommandId++, command, ...extra }));
  }

  async hello(gen) {
    let r;
    try {
      const config = this.deltaStates ? { ...this.config, delta_states: true } : this.config;
      r = await this.send(this.Cmd.HELLO, { config });
    } catch {
      return; // closed meanwhile; closed() takes over
    }
    if (gen !== this.gen) return;
    if (r.result !== this.OK) {
      this.incompatible(`the endpoint refused HELLO: ${r.error || 'no reason given'}`);
      return;
    }
    this.helloDone = true;
    this.attempt = 0;
    if (r.effective_config) this.onConfig(r.effective_config);
    this.fire(this.Cmd.REQUEST, { source: this.Src.RUNTIME });
    this.fire(this.Cmd.PUSH_ENABLE, { source: this.Src.EVENTS });
    this.fire(this.Cmd.PUSH_ENABLE, { source: this.Src.STATE });
    if (this.paused) this.fire(this.Cmd.PUSH_PAUSE);
    this.setStatus({ phase: 'open', paused: this.paused, fresh: true });
  }

  /**
   * REQUEST STATE: a full state, after a delta that could not be applied.
   * Nothing happens when not connected (the next session starts full).
   */
  requestState() {
    if (this.helloDone) this.fire(this.Cmd.REQUEST, { source: this.Src.STATE });
  }

  /** Pause or resume pushing (PUSH_PAUSE / PUSH_RESUME). */
  setPaused(paused) {
    if (this.paused === paused) return;
    this.paused = paused;
    if (this.helloDone) {
      this.fire(paused ? this.Cmd.PUSH_PAUSE : this.Cmd.PUSH_RESUME);
      this.setStatus({ phase: 'open', paused });
    }
  }

  /** UPDATE_CONFIG; resolves with the effective configuration. */
  async updateConfig(config) {
    this.config = { ...config };
    if (!this.helloDone) return this.config; // HELLO will carry it
    const r = await this.send(this.Cmd.UPDATE_CONFIG, { config });
    if (r.result !== this.OK) throw new Error(r.error || 'the endpoint refused the configuration');
    if (r.effective_config) {
      this.config = { ...r.effective_config };
      this.onConfig(r.effective_config);
    }
    return this.config;
  }
}
