// Tests of replayed.mjs: the real peerscope-replay serving a recording
// (t.host.file), against protobufjs's reading of the same file
// (lib/oracle.mjs). Only replayed.mjs imports this file.

import { test, check, equal, Failure } from './lib/harness.mjs';
import { recordedStates, readRecordingFile } from './lib/oracle.mjs';
import { openSession, Command, Source } from './lib/introspect.mjs';

const WAIT_MS = 20000;

async function until(page, fn, arg, what) {
  await page.waitForFunction(fn, arg, { timeout: WAIT_MS }).catch(() => { throw new Failure(`${what}: not within ${WAIT_MS / 1000} s`); });
}

function fileFacts(file) {
  const msgs = readRecordingFile(file);
  const { states, at } = recordedStates(file);
  const events = msgs.filter((m) => m.payload === 'event');
  return { states, at, events, runtime: msgs.find((m) => m.payload === 'runtime').runtime };
}

test('peerscope-replay: Runtime.recording describes the file; REQUEST STATE at_ts answers the recorded state', async (t) => {
  const f = fileFacts(t.host.file);
  const s = await openSession(t.host.wsUrl);
  try {
    const rtId = s.send(Command.REQUEST, Source.RUNTIME);
    const rt = (await s.waitFor((m) => m.payload === 'runtime', `runtime (REQUEST ${rtId})`)).msg.runtime;
    check(rt.recording, 'Runtime.recording is set');
    const r = rt.recording;
    equal(rt.peer_id, f.runtime.peer_id, 'the recorded peer id');
    check(r.start_ts <= f.states[0].instant_ts, `start_ts ${r.start_ts} is not after the first state`);
    check(r.end_ts >= f.states[f.states.length - 1].instant_ts, `end_ts ${r.end_ts} is not before the last state`);
    equal(r.state_count, f.states.length, 'state_count');
    equal(r.event_count, f.events.length, 'event_count');
    // Three times: in the first gap, in the middle, at the last state.
    const mid = f.states[Math.floor(f.states.length / 2)].instant_ts + 1;
    for (const at of [f.states[0].instant_ts + 1, mid, f.states[f.states.length - 1].instant_ts]) {
      const id = s.send(Command.REQUEST, Source.STATE, { at_ts: at });
      const resp = (await s.waitFor((m) => m.payload === 'response' && m.msg.response.id === id, `the answer to at_ts ${at}`)).msg.response;
      check(resp.state, `CommandResponse.state for at_ts ${at}`);
      const want = f.at(at);
      equal(resp.state.instant_ts, want.instant_ts, `state time at ${at}`);
      equal(resp.state.subsystems.connections.length, want.subsystems.connections.length, `connections at ${at}`);
    }
  } finally {
    s.close();
  }
});

test('peerscope-replay: the page replays the whole recording and seeks in it', async (t) => {
  const { page } = t;
  const f = fileFacts(t.host.file);
  await page.goto(`${t.realBase}/`);
  await page.waitForSelector('body[data-phase="replay"]', { timeout: WAIT_MS });
  await until(page, () => document.querySelector('#timebar').dataset.replay === '1', null, 'replay mode');
  const start = Number(await page.getAttribute('#timebar', 'data-start'));
  const end = Number(await page.getAttribute('#timebar', 'data-end'));
  check(start <= f.states[0].instant_ts && end >= f.states[f.states.length - 1].instant_ts, `time bar ${start}..${end} spans the recording`);
  const tag = (await page.textContent('.tb-replay')).trim();
  const name = t.host.file.split('/').pop();
  check(tag.includes(name), `replay indicator names the file: ${tag}`);
  // Seek to three times; whether held or asked for, the page shows the recorded state of each.
  for (const k of [Math.floor(f.states.length / 3), Math.floor(f.states.length * 2 / 3), 1]) {
    const at = f.states[k].instant_ts + 1;
    await page.evaluate((ts) => window.peerscope.seeker.seekTo(ts), at);
    await until(page, (ts) => document.querySelector('#timebar').dataset.pending === '' && Number(document.querySelector('#timebar').dataset.shownTs) === ts,
      f.at(at).instant_ts, `the state at ${at}`);
  }
  const answers = await page.evaluate(() => window.peerscope.store.replayStats.seekAnswers);
  // --speed max: the whole recording is pushed; with the answers taken before, every state is held once, in time order.
  await until(page, (n) => Number(document.querySelector('#timebar').dataset.count) === n, f.states.length, 'every recorded state held');
  const held = await page.evaluate(() => window.peerscope.store.states.map((e) => e.ts));
  equal(JSON.stringify(held), JSON.stringify(f.states.map((s) => s.instant_ts)), 'held states: the recording in time order');
  t.info(`${held.length} states held, ${answers} of the seeks asked the endpoint`);
  await t.shot('replayed-page');
});
