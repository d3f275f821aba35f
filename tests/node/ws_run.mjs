#!/usr/bin/env node
// Runs ws_session.mjs against a host program: starts HOST (which prints
// {"port":N,"url":"..."} on its first line and serves until its stdin
// closes), runs the session against that URL, then stops the host.
// Exits non-zero if either fails.
//
// Usage: node ws_run.mjs HOST [host args...]

import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const [hostPath, ...hostArgs] = process.argv.slice(2);
if (!hostPath) {
  process.stderr.write('usage: node ws_run.mjs HOST [host args...]\n');
  process.exit(2);
}

const host = spawn(hostPath, hostArgs, { stdio: ['pipe', 'pipe', 'inherit'] });
const hostExit = new Promise((res) => host.on('exit', (code, signal) => res(signal ? 128 : code)));

function readUrl() {
  return new Promise((res, rej) => {
    const rl = createInterface({ input: host.stdout });
    rl.once('line', (line) => {
      rl.close();
      try {
        res(JSON.parse(line).url);
      } catch (e) {
        rej(new Error(`host said ${JSON.stringify(line)}`));
      }
    });
    host.once('exit', () => rej(new Error('host exited before printing its URL')));
  });
}

let status = 1;
try {
  const url = await readUrl();
  const session = spawn(process.execPath, [resolve(here, 'ws_session.mjs'), url], { stdio: 'inherit' });
  status = await new Promise((res) => session.on('exit', (code, signal) => res(signal ? 128 : code)));
} catch (e) {
  process.stderr.write(`ws_run.mjs: ${e.message}\n`);
}
host.stdin.end();
const hostStatus = await hostExit;
if (hostStatus !== 0) process.stderr.write(`ws_run.mjs: host exited with ${hostStatus}\n`);
process.exit(status || hostStatus ? 1 : 0);
