// A stand-in for a peerscope endpoint, for the browser tests (and for
// working on the visualizer without a C host): serves exactly the assets
// the library embeds (web/embed.py --stage) with the CSP that
// libwebsockets' security-best-practices option sends, and speaks the 2020
// session protocol over a real WebSocket at /introspect, replaying a
// recording or a synthetic host. With --replay it acts as a replaying
// endpoint instead (like peerscope-replay): Runtime.recording is set, the
// recording's states and events are pushed in their order with their own
// timestamps (again from the start when it loops), and REQUEST STATE with
// at_ts is answered with the recorded state of that time.
//
//   node mock-server.mjs [--port N] [--recording FILE | --synthetic [--conns N --streams N]] [--token T] [--alerts]
//   node mock-server.mjs [--port N] --replay FILE [--speed X] [--loop] [--alerts]
//   node mock-server.mjs [--port N] --fleet N [--event-rate R] [--token T]
//
// With --fleet it stands in for peerscope-hub (lib/fleet-feed.mjs): its
// /introspect pushes ServerMessage.fleet (one row per node) and the events
// of every node with Event.node set, and each node is re-served at
// /node/NAME/ (the page) and /node/NAME/introspect (its own session).

import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import { WebSocketServer } from 'ws';
import { webModule } from './lib/paths.mjs';
import { stageAssets, loadSchema } from './lib/assets.mjs';
import { SyntheticHost } from './lib/synthetic.mjs';
import { AlertsFeed } from './lib/alerts-feed.mjs';
import { FleetFeed } from './lib/fleet-feed.mjs';

const { createCodec } = await webModule('codec.js');
const { buildFrame, parseRecording } = await webModule('wire.js');

// What libwebsockets 4.1.6 sends with LWS_SERVER_OPTION_HTTP_HEADERS_SECURITY_BEST_PRACTICES_ENFORCE.
export const LWS_CSP = "default-src 'none'; img-src 'self' data: ; script-src 'self'; font-src 'self'; style-src 'self'; connect-src 'self' ws: wss:; frame-ancestors 'none'; base-uri 'none';form-action 'self';";
const SECURITY_HEADERS = {
  'content-security-policy': LWS_CSP,
  'x-content-type-options': 'nosniff',
  'x-xss-protection': '1; mode=block',
  'x-frame-options': 'deny',
  'referrer-policy': 'no-referrer',
};

const RETENTION_MAX = 120000;
const INTERVAL_MIN = 500;
const INTERVAL_MAX = 60000;
const PAUSE_QUEUE_MAX = 1024;

/** Replays a recording: state k of a session is recorded state k mod n, timestamps moved to now. */
class RecordingFeed {
  constructor(codec, bytes) {
    const { messages } = parseRecording(bytes);
    this.runtime = null;
    this.states = [];
    this.events = [];
    for (const m of messages) {
      const msg = codec.decode('ServerMessage', m);
      if (msg.payload === 'runtime' && !this.runtime) this.runtime = msg.runtime;
      else if (msg.payload === 'state') this.states.push(msg.state);
      else if (msg.payload === 'event') this.events.push(msg.event);
    }
    if (!this.runtime || !this.states.length) throw new Error('recording without runtime or states');
  }

  runtimeMsg() { return this.runtime; }

  // The k-th push of a session: a state and the events recorded since the previous one.
  step(session, now) {
    const n = this.states.length;
    const k = session.feedStep++;
    const rec = this.states[k % n];
    const offset = now - rec.instant_ts;
    const prevTs = k % n === 0 ? -Infinity : this.states[(k - 1) % n].instant_ts;
    const events = this.events.filter((e) => e.ts > prevTs && e.ts <= rec.instant_ts).map((e) => shiftTs(clone(e), offset));
    return { state: shiftTs(clone(rec), offset), events };
  }
}

/**
 * A replaying endpoint: each session walks the recording from its start,
 * one step being a state and the events recorded before it (in file
 * order), timestamps untouched. opts: speed (1 = real time), loop, manual
 * (no timer: the test pushes with advance()), source (the name it reports).
 */
class ReplayFeed {
  constructor(codec, bytes, opts) {
    const { messages } = parseRecording(bytes);
    this.runtime = null;
    this.steps = [];
    this.states = [];
    let events = [];
    let eventCount = 0;
    let start = Infinity;
    let end = 0;
    const seen = (ts) => { if (ts) { start = Math.min(start, ts); end = Math.max(end, ts); } };
    for (const m of messages) {
      const msg = codec.decode('ServerMessage', m);
      if (msg.payload === 'runtime' && !this.runtime) this.runtime = msg.runtime;
      else if (msg.payload === 'event') { events.push(msg.event); eventCount++; seen(msg.event.ts); } else if (msg.payload === 'state') {
        this.steps.push({ state: msg.state, events });
        this.states.push(msg.state);
        events = [];
        seen(msg.state.instant_ts);
      }
    }
    if (!this.runtime || !this.states.length) throw new Error('recording without runtime or states');
    this.speed = opts.speed === undefined ? 1 : opts.speed;
    this.loop = !!opts.loop;
    this.manual = !!opts.manual;
    this.recording = {
      start_ts: start, end_ts: end, speed: this.speed, loop: this.loop,
      source: opts.source || 'recording', node: '', state_count: this.states.length, event_count: eventCount,
    };
    const gaps = this.states.slice(1).map((st, i) => st.instant_ts - this.states[i].instant_ts).sort((a, b) => a - b);
    this.gapMs = gaps.length ? Math.max(1, gaps[gaps.length >> 1]) : 1000;
  }

  runtimeMsg() {
    if (!this.runtimeWithRecording) {
      this.runtimeWithRecording = Object.create(this.runtime); // the decoded runtime, defaults and all
      this.runtimeWithRecording.recording = this.recording;
    }
    return this.runtimeWithRecording;
  }

  /** The interval between pushes, or 0 when the test pushes (manual). */
  pushEveryMs() {
    return this.manual ? 0 : Math.max(20, Math.round(this.gapMs / (this.speed || 1000)));
  }

  // The session's next step; null at the end of a recording that does not loop.
  step(session) {
    let k = session.feedStep;
    if (k >= this.steps.length) {
      if (!this.loop) return null;
      k = 0;
    }
    session.feedStep = k + 1;
    session.feedAt = k;
    const st = this.steps[k];
    return { state: st.state, events: st.events }; // sent as they are: nothing changes them
  }

  /** The state pushed last to the session (REQUEST STATE without at_ts). */
  current(session) {
    return this.states[Math.max(0, session.feedAt || 0)];
  }

  /** The recorded state as it was at ts (the newest one at or before it), or null. */
  stateAt(ts) {
    let found = null;
    for (const st of this.states) if (st.instant_ts <= ts && (!found || st.instant_ts >= found.instant_ts)) found = st;
    return found;
  }
}

/** A synthetic host shared by every session (like a real one). */
class SyntheticFeed {
  constructor(opts) {
    this.host = new SyntheticHost(opts);
    this.seq = 0;
    this.lastAt = 0;
    this.current = null;
    this.buffered = []; // events since the host last advanced, kept for every session
  }

  runtimeMsg() { return this.host.runtime(); }

  step(session, now) {
    if (now - this.lastAt >= 250 || !this.current) {
      this.host.advance(now);
      this.lastAt = now;
      this.current = this.host.state(now, ++this.seq);
      for (const e of this.host.takeEvents()) this.buffered.push(e);
      const horizon = now - RETENTION_MAX;
      while (this.buffered.length && this.buffered[0].ts < horizon) this.buffered.shift();
    }
    // By sequence number, not time: the host backdates some events.
    if (session.feedSeq === undefined) session.feedSeq = this.host.eventSeq;
    const since = session.feedSeq;
    const events = this.buffered.filter((e) => e.seq > since);
    if (events.length) session.feedSeq = events[events.length - 1].seq;
    return { state: this.current, events };
  }
}

function clone(o) {
  if (o instanceof Uint8Array) return o;
  if (Array.isArray(o)) return o.map(clone);
  if (o && typeof o === 'object') {
    const c = {};
    for (const k of Object.keys(o)) c[k] = clone(o[k]); // fields that were set
    return c;
  }
  return o;
}

// Every *_ts (and Event.ts) moves by offset; zero means "not set" and stays.
function shiftTs(o, offset) {
  if (Array.isArray(o)) { for (const x of o) shiftTs(x, offset); return o; }
  if (o && typeof o === 'object' && !(o instanceof Uint8Array)) {
    for (const k of Object.keys(o)) {
      const v = o[k];
      if ((k === 'ts' || k.endsWith('_ts')) && typeof v === 'number') { if (v) o[k] = v + offset; } else shiftTs(v, offset);
    }
  }
  return o;
}

/**
 * Start a mock endpoint. opts: port (0), recording (path) or synthetic
 * ({conns, streamsPerConn}), token, alerts (true or {milestones}: states
 * carry alerts and milestones, lib/alerts-feed.mjs). Resolves to a handle with url, log,
 * and controls for the tests (dropAll, corruptNext, close).
 */
export async function startMockServer(opts = {}) {
  const assets = stageAssets();
  // The page's own codec and schema: the mock speaks exactly what it reads.
  const codec = createCodec(await loadSchema(assets));
  const Cmd = codec.enumValues('ClientCommand.Command');
  const Src = codec.enumValues('ClientCommand.Source');
  const fleetFeed = opts.fleet ? new FleetFeed(opts.fleet === true ? {} : opts.fleet) : null;
  const baseFeed = fleetFeed || (opts.replay
    ? new ReplayFeed(codec, fs.readFileSync(opts.replay.file), { source: path.basename(opts.replay.file), ...opts.replay })
    : opts.recording ? new RecordingFeed(codec, fs.readFileSync(opts.recording)) : new SyntheticFeed(opts.synthetic || {}));
  const alerts = opts.alerts ? new AlertsFeed(opts.alerts === true ? {} : opts.alerts) : null;
  const alertStep = (session, now) => {
    const { state, events } = baseFeed.step(session, now);
    const more = alerts.step(session, state);
    return { state: more.state, events: [...events, ...more.events] };
  };
  // with alerts, the base feed (a replay's seeking included) with its step extended
  const feed = !alerts ? baseFeed : new Proxy(baseFeed, {
    get(target, key) {
      if (key === 'step') return alertStep;
      const v = target[key];
      return typeof v === 'function' ? v.bind(target) : v;
    },
  });
  const token = opts.token || '';
  const log = { commands: [], sentStates: [], sentFleets: [], upgrades: [], http: [], answers: [] };
  const sessions = new Set();
  let refuse = 0;
  let corrupt = null;
  let nextSession = 1;

  function authorized(req, url) {
    if (!token) return true;
    const auth = req.headers.authorization || '';
    return url.searchParams.get('token') === token || auth === `Bearer ${token}`;
  }

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    log.http.push(url.pathname);
    if (url.pathname === '/healthz') {
      const ok = authorized(req, url);
      const body = { status: 'ok', token_required: !!token, authorized: ok };
      if (ok) body.sessions = sessions.size;
      res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store', ...SECURITY_HEADERS });
      res.end(JSON.stringify(body));
      return;
    }
    // peerscope-hub serves the same page for each node, at /node/NAME/
    const nodePage = fleetFeed && /^\/node\/[^/]+\/(index\.html)?$/.test(url.pathname);
    const p = url.pathname === '/' || nodePage ? '/index.html' : url.pathname;
    const f = assets.get(p);
    if (!f || (req.method !== 'GET' && req.method !== 'HEAD')) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8', ...SECURITY_HEADERS });
      res.end('not found\n');
      return;
    }
    const headers = { 'content-type': f.mime, etag: f.etag, 'cache-control': 'no-cache', ...SECURITY_HEADERS };
    if (req.headers['if-none-match'] === f.etag) {
      res.writeHead(304, headers);
      res.end();
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': f.data.length });
    res.end(req.method === 'HEAD' ? undefined : f.data);
  });

  const wss = new WebSocketServer({ noServer: true, maxPayload: 64 * 1024 });
  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url, 'http://x');
    const refuseWith = (code, text) => {
      log.upgrades.push({ path: url.pathname, status: code });
      socket.end(`HTTP/1.1 ${code} ${text}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n`);
    };
    let sessionFeed = feed;
    const nodePath = fleetFeed && /^\/node\/([^/]+)\/introspect$/.exec(url.pathname);
    if (nodePath) {
      sessionFeed = fleetFeed.nodeFeed(decodeURIComponent(nodePath[1]));
      if (!sessionFeed) return refuseWith(404, 'Not Found');
    } else if (url.pathname !== '/introspect') {
      return refuseWith(404, 'Not Found');
    }
    if (refuse > 0) { refuse--; return refuseWith(503, 'Service Unavailable'); }
    if (!authorized(req, url)) return refuseWith(401, 'Unauthorized');
    const origin = req.headers.origin;
    if (origin && new URL(origin).host !== req.headers.host) return refuseWith(403, 'Forbidden');
    log.upgrades.push({ path: url.pathname, status: 101 });
    wss.handleUpgrade(req, socket, head, (ws) => session(ws, sessionFeed, url.pathname));
  });

  // f: what this session serves (the mock's feed, or one node of a fleet)
  function session(ws, f, where) {
    const s = {
      id: nextSession++,
      ws,
      path: where,
      hello: false,
      config: { retention_period_ms: RETENTION_MAX, state_snapshot_interval_ms: 1000 },
      pushState: false,
      pushEvents: false,
      paused: false,
      queue: [],
      timer: null,
      typesSent: new Set(),
      feedStep: 0,
    };
    sessions.add(s);

    const send = (msg, kind) => {
      const payload = codec.encode('ServerMessage', { version: { version: 1 }, ...msg });
      let frame = buildFrame(payload);
      if (corrupt) {
        frame = frame.slice();
        if (corrupt === 'version') frame[0] = 7;
        else frame[frame.length - 1] ^= 0xff;
        corrupt = null;
      }
      if (kind === 'fleet') log.sentFleets.push({ session: s.id, rows: msg.fleet.nodes.length });
      if (kind === 'state') log.sentStates.push({ session: s.id, instant_ts: msg.state.instant_ts, conns: msg.state.subsystems ? msg.state.subsystems.connections.length : 0 });
      if (ws.readyState === ws.OPEN) ws.send(frame);
    };
    const push = (msg, kind) => {
      if (s.paused) {
        s.queue.push({ at: Date.now(), msg, kind });
        if (s.queue.length > PAUSE_QUEUE_MAX) s.queue.shift();
      } else {
        send(msg, kind);
      }
    };
    const respond = (id, ok, error, config) => send({ response: { id, result: ok ? 0 : 1, error: error || '', effective_config: config || null } }, 'response');
    const eventMsg = (e) => {
      const name = e.type.name;
      let type = { name };
      if (!s.typesSent.has(name)) {
        s.typesSent.add(name);
        const props = e.type.property_types.length ? e.type.property_types : (f.runtimeMsg().event_types.find((t) => t.name === name) || {}).property_types || [];
        type = { name, property_types: props };
      }
      return { event: { ...e, type } };
    };
    const tick = () => {
      const next = f.step(s, Date.now());
      if (!next) return false; // a replay at its end
      if (s.pushEvents) for (const e of next.events) push(eventMsg(e), 'event');
      if (s.pushState) push(next.fleet ? { fleet: next.fleet } : { state: next.state }, next.fleet ? 'fleet' : 'state');
      return true;
    };
    s.tick = tick;
    const restartTimer = () => {
      clearInterval(s.timer);
      const every = f.pushEveryMs ? f.pushEveryMs() : s.config.state_snapshot_interval_ms;
      s.timer = (s.pushState || s.pushEvents) && every ? setInterval(tick, every) : null;
    };
    const clamp = (c) => ({
      retention_period_ms: Math.min(RETENTION_MAX, c.retention_period_ms || RETENTION_MAX),
      state_snapshot_interval_ms: Math.min(INTERVAL_MAX, Math.max(INTERVAL_MIN, c.state_snapshot_interval_ms || 1000)),
    });

    ws.on('message', (data, isBinary) => {
      let cmd;
      try {
        if (!isBinary) throw new Error('text');
        cmd = codec.decode('ClientCommand', new Uint8Array(data));
      } catch {
        ws.close(1003, 'malformed command');
        return;
      }
      log.commands.push({ session: s.id, id: cmd.id, command: cmd.command, source: cmd.source, config: cmd.config ? { ...cmd.config } : null, at_ts: cmd.at_ts, at: Date.now() });
      if (cmd.command === Cmd.HELLO) {
        if (s.hello) return respond(cmd.id, false, 'HELLO already received');
        s.hello = true;
        if (cmd.config) s.config = clamp(cmd.config);
        return respond(cmd.id, true, '', s.config);
      }
      if (!s.hello) return respond(cmd.id, false, 'HELLO must come first');
      switch (cmd.command) {
        case Cmd.REQUEST:
          if (cmd.source === Src.RUNTIME) return send({ runtime: f.runtimeMsg() }, 'runtime');
          if (cmd.source === Src.STATE && cmd.at_ts && f.stateAt) {
            const state = f.stateAt(cmd.at_ts);
            if (!state) return respond(cmd.id, false, `no recorded state at or before ${cmd.at_ts}`);
            log.answers.push({ session: s.id, at_ts: cmd.at_ts, instant_ts: state.instant_ts });
            return send({ response: { id: cmd.id, result: 0, error: '', state } }, 'response');
          }
          if (cmd.source === Src.STATE && typeof f.current === 'function') return send({ state: f.current(s) }, 'state');
          if (cmd.source === Src.STATE && f.fleet) return send({ fleet: f.fleet(Date.now()) }, 'fleet');
          if (cmd.source === Src.STATE) return send({ state: f.step(s, Date.now()).state }, 'state');
          return respond(cmd.id, false, 'events cannot be requested');
        case Cmd.PUSH_ENABLE:
        case Cmd.PUSH_DISABLE: {
          const on = cmd.command === Cmd.PUSH_ENABLE;
          if (cmd.source === Src.STATE) s.pushState = on;
          else if (cmd.source === Src.EVENTS) s.pushEvents = on;
          else return respond(cmd.id, false, 'runtime cannot be pushed');
          respond(cmd.id, true);
          if (on && cmd.source === Src.STATE) tick(); // the first state without waiting a whole interval
          return restartTimer();
        }
        case Cmd.PUSH_PAUSE:
          s.paused = true;
          return respond(cmd.id, true);
        case Cmd.PUSH_RESUME: {
          s.paused = false;
          respond(cmd.id, true);
          const horizon = Date.now() - s.config.retention_period_ms;
          const q = s.queue.filter((x) => x.at >= horizon);
          s.queue = [];
          for (const x of q) send(x.msg, x.kind);
          return undefined;
        }
        case Cmd.UPDATE_CONFIG:
          if (!cmd.config) return respond(cmd.id, false, 'config is required');
          s.config = clamp(cmd.config);
          respond(cmd.id, true, '', s.config);
          return restartTimer();
        default:
          return respond(cmd.id, false, 'unknown command');
      }
    });
    ws.on('close', () => {
      clearInterval(s.timer);
      sessions.delete(s);
    });
  }

  await new Promise((resolve) => server.listen(opts.port || 0, '127.0.0.1', resolve));
  const port = server.address().port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    codec,
    assets,
    runtime: () => feed.runtimeMsg(),
    /** A fleet mock (opts.fleet): the table it would push now. */
    fleet: () => (fleetFeed ? fleetFeed.fleet(Date.now()) : null),
    sessions: () => sessions.size,
    /** Close every session; refuse the next n upgrades with 503. */
    dropAll(n = 0) {
      refuse = n;
      for (const s of sessions) s.ws.close(1001, 'going away');
    },
    /** A replay (opts.replay): what it reports in Runtime.recording, and its recorded states. */
    recording: () => feed.recording || null,
    recordedStates: () => feed.states || [],
    /**
     * A manual replay: push the next n steps (a state and the events before
     * it) to every session that enabled pushing. Returns how many each got.
     */
    advance(n = 1) {
      let pushed = 0;
      for (const s of sessions) {
        if (!s.tick || !s.pushState) continue;
        for (let i = 0; i < n; i++) if (s.tick()) pushed++;
      }
      return pushed;
    },
    /** Corrupt the next message sent: 'version' or 'checksum'. */
    corruptNext(kind) { corrupt = kind; },
    async close() {
      for (const s of sessions) { clearInterval(s.timer); s.ws.terminate(); }
      wss.close();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const opt = (name, def) => {
    const i = args.indexOf(`--${name}`);
    return i >= 0 ? args[i + 1] : def;
  };
  const replayFile = opt('replay', '');
  const srv = await startMockServer({
    port: Number(opt('port', '0')),
    recording: opt('recording', ''),
    replay: replayFile ? { file: replayFile, speed: Number(opt('speed', '1')), loop: args.includes('--loop') } : null,
    synthetic: { conns: Number(opt('conns', '48')), streamsPerConn: Number(opt('streams', '4')) },
    token: opt('token', ''),
    alerts: args.includes('--alerts'),
    fleet: args.includes('--fleet') ? { nodes: Number(opt('fleet', '20')), eventRate: Number(opt('event-rate', '0')) } : null,
  });
  console.log(`peerscope mock endpoint: ${srv.url}/`);
}
