// What a page says and hears on its WebSockets, as Chromium reports the
// frames (the page's own code is not involved): the commands it sent and
// the messages it got, decoded by the Node oracle. Lets a test wait for the
// endpoint's answer to a command instead of waiting for time to pass.

import { ClientCommand, Command, decodeFrame } from './introspect.mjs';
import { Failure } from './harness.mjs';

const toBuf = (p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p));

/** Start recording the page's WebSocket frames; call before the page opens its socket. */
export function watchPage(page) {
  const sent = [];     // decoded ClientCommands
  const received = []; // {payload, msg}
  const waiters = new Set();
  const wake = () => { for (const w of [...waiters]) w(); };
  let sockets = 0;
  page.on('websocket', (ws) => {
    const socket = ++sockets;
    ws.on('framesent', (f) => {
      try { sent.push(ClientCommand.toObject(ClientCommand.decode(toBuf(f.payload)), { longs: Number })); } catch { /* not a command */ }
      wake();
    });
    ws.on('framereceived', (f) => {
      try {
        const msg = decodeFrame(toBuf(f.payload));
        received.push({ payload: msg.payload, msg, socket });
      } catch { /* the page itself reports a bad frame */ }
      wake();
    });
  });

  function until(test, what, timeout = 20000) {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { waiters.delete(look); reject(new Failure(`no ${what} within ${timeout} ms`)); }, timeout);
      function look() {
        let v;
        try {
          v = test();
        } catch (e) {
          clearTimeout(timer);
          waiters.delete(look);
          reject(e);
          return;
        }
        if (v === undefined) return;
        clearTimeout(timer);
        waiters.delete(look);
        resolve(v);
      }
      waiters.add(look);
      look();
    });
  }

  /**
   * Wait for the endpoint's answer to the first `command` (a
   * ClientCommand.Command name) the page sent at or after index `from` of
   * sent. Resolves to {lastState}: the last State that came before that
   * answer on the same socket (null if none did).
   */
  async function answered(command, from = 0) {
    const want = Command[command];
    const cmd = await until(() => sent.slice(from).find((c) => c.command === want), `${command} from the page`);
    return until(() => {
      const i = received.findIndex((r) => r.payload === 'response' && r.msg.response.id === cmd.id);
      if (i < 0) return undefined;
      if (received[i].msg.response.result !== 0) throw new Failure(`${command} refused: ${received[i].msg.response.error}`);
      const before = received.slice(0, i).filter((r) => r.payload === 'state' && r.socket === received[i].socket);
      return { lastState: before.length ? before[before.length - 1].msg.state : null };
    }, `answer to the page's ${command}`);
  }

  return { sent, received, answered };
}

/** Resolve after the page has drawn one more frame (rAF callbacks run in the order they were asked). */
export function nextFrame(page) {
  return page.evaluate(() => new Promise((resolve) => { requestAnimationFrame(() => resolve()); }));
}

/**
 * Wait until the view `section` (a selector) shows the state the store
 * points at, and its table rows, drawn on the frame after, are in the DOM.
 */
export async function drawn(page, section) {
  await page.waitForFunction((sel) => {
    const cur = window.peerscope.store.current();
    return cur && document.querySelector(sel).dataset.ts === String(cur.entry.ts);
  }, section);
  await nextFrame(page);
}

/**
 * Pause the page with its button and wait until nothing more can land: the
 * endpoint answered PUSH_PAUSE (what it pushed before is ahead of that
 * answer on the socket, what it pushes after is held), the page took the
 * last state that came before the answer, and `section`, if given, drew
 * the newest one.
 */
export async function pauseSettled(page, wire, section) {
  const from = wire.sent.length;
  await page.click('.tb-pause');
  await page.waitForSelector('body[data-phase="paused"]');
  const { lastState } = await wire.answered('PUSH_PAUSE', from);
  if (lastState) {
    await page.waitForFunction((ts) => {
      const held = window.peerscope.store.states;
      return held.length > 0 && held[held.length - 1].ts >= ts;
    }, lastState.instant_ts);
  }
  if (section) await drawn(page, section);
}
