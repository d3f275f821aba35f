// The demo host (examples/demo/peerscope-demo) as a child process of the
// browser tests: started on a free port, stopped on every path out of this
// process (test failure, exception, signal). Each demo also gets a
// --duration, so that not even a SIGKILL of this process leaves one behind
// for long.

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';

const live = new Set();
let hooked = false;

function killAll() {
  for (const child of live) child.kill('SIGKILL');
  live.clear();
}

/** True when every thread of process pid is stopped (job control, 'T' in /proc). */
function allStopped(pid) {
  let tasks;
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return false;
  }
  return tasks.every((tid) => {
    try {
      const stat = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      return stat.slice(stat.lastIndexOf(')') + 2)[0] === 'T';
    } catch {
      return true; // the thread is gone
    }
  });
}

function hookExit() {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAll);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(sig, () => {
      killAll();
      process.exit(128 + os.constants.signals[sig]);
    });
  }
}

/** The demo program built by meson (PSC_DEMO_BIN, or under PSC_BUILD_ROOT), or null. */
export function demoBinary() {
  const candidates = [process.env.PSC_DEMO_BIN,
    process.env.PSC_BUILD_ROOT && path.join(process.env.PSC_BUILD_ROOT, 'examples', 'demo', 'peerscope-demo')];
  return candidates.find((p) => p && fs.existsSync(p)) || null;
}

/**
 * Start the demo on a free port (--port 0 --quiet). Resolves, once it has
 * printed its banner, to {httpUrl, pageUrl, wsUrl, peerId, stop, output,
 * freeze}: httpUrl is the page's address without query or fragment (it
 * ends with '/'), pageUrl the one printed (with a --token it carries the
 * token); stop() ends it (SIGTERM, then SIGKILL after 5 s) and resolves to
 * {code, signal}; output() is what it printed so far; freeze(ms) stops the
 * whole process (SIGSTOP), waits until every thread of it is stopped,
 * keeps it so for at least ms and lets it go on (SIGCONT): a host that
 * stalled, while its clocks ran on.
 */
export function startDemo(bin, args, { duration = 120, startTimeoutMs = 15000 } = {}) {
  hookExit();
  return new Promise((resolve, reject) => {
    const child = spawn(bin, ['--port', '0', '--quiet', '--duration', String(duration), ...args],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    live.add(child);
    let out = '';
    let err = '';
    let started = false;
    const exited = new Promise((done) => {
      child.once('exit', (code, signal) => {
        live.delete(child);
        done({ code, signal });
      });
    });
    const stop = async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        child.kill('SIGCONT'); // a frozen one takes the SIGTERM now
        const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
        const res = await exited;
        clearTimeout(timer);
        return res;
      }
      return exited;
    };
    const output = () => `${out}${err}`;
    const freeze = async (ms) => {
      child.kill('SIGSTOP');
      try {
        for (let i = 0; !allStopped(child.pid); i++) {
          if (i > 1000 || child.exitCode !== null) throw new Error(`the demo (pid ${child.pid}) did not stop on SIGSTOP`);
          await sleep(5);
        }
        await sleep(ms);
      } finally {
        child.kill('SIGCONT');
      }
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`demo did not start within ${startTimeoutMs} ms:\n${output()}`));
    }, startTimeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      live.delete(child);
      reject(new Error(`cannot run ${bin}: ${e.message}`));
    });
    // Keep reading after the banner: a full pipe would block the demo.
    child.stderr.on('data', (d) => { if (err.length < 65536) err += d; });
    child.stdout.on('data', (d) => {
      if (out.length < 65536) out += d;
      if (started) return;
      const http = /visualizer:\s+(http:\/\/\S+)/.exec(out);
      const ws = /websocket:\s+(ws:\/\/\S+)/.exec(out);
      const id = /local peer id:\s+(\S+)/.exec(out);
      if (http && ws && id) {
        started = true;
        clearTimeout(timer);
        const page = new URL(http[1]);
        resolve({ httpUrl: `${page.origin}${page.pathname}`, pageUrl: http[1], wsUrl: ws[1], peerId: id[1], stop, output, freeze });
      }
    });
    exited.then(({ code, signal }) => {
      if (started) return;
      clearTimeout(timer);
      reject(new Error(`demo exited (${code ?? signal}) before its banner:\n${output()}`));
    });
  });
}
