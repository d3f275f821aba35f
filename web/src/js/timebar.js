// The time bar at the bottom: pause/resume (PUSH_PAUSE / PUSH_RESUME) or
// play for a recording, back to live, and a slider over the held states
// drawn on a bandwidth sparkline. Against a replaying endpoint the slider
// is over time instead, the whole recording's, and seeking goes through
// seek.js; a replay indicator says what is replayed and how.

import { h, setText } from './dom.js';
import * as fmt from './format.js';
import { TimeChart } from './chart.js';

/** seeker: the replay's Seeker (seek.js). */
export function createTimebar(app, ctl, seeker) {
  const store = app.store;
  const pauseBtn = h('button', { type: 'button', class: 'tb-pause', title: 'pause or resume the live feed (space)' });
  const liveBtn = h('button', { type: 'button', class: 'tb-live', title: 'jump to the newest state (End)' }, '● Live');
  const back = h('button', { type: 'button', class: 'tb-step', title: 'previous state (←)', 'aria-label': 'previous state' }, '◀');
  const fwd = h('button', { type: 'button', class: 'tb-step', title: 'next state (→)', 'aria-label': 'next state' }, '▶');
  const slider = h('input', { type: 'range', class: 'tb-slider', min: '0', max: '0', step: '1', value: '0', 'aria-label': 'shown state' });
  const spark = new TimeChart({
    series: [{ key: 'in', label: 'in', color: '--in' }, { key: 'out', label: 'out', color: '--out' }],
    compact: true,
  });
  const label = h('span', { class: 'tb-label mono' });
  const span = h('span', { class: 'tb-span muted' });
  const replayTag = h('span', { class: 'tb-replay', hidden: true, title: 'this endpoint replays a recording' });
  const el = document.getElementById('timebar');
  el.replaceChildren(replayTag, pauseBtn, liveBtn, back, fwd, h('div', { class: 'tb-track' }, spark.el, slider), h('div', { class: 'tb-text' }, label, span));

  let playTimer = 0;

  slider.addEventListener('input', () => {
    stopPlay();
    if (store.replay) seeker.seekTo(Number(slider.value));
    else store.seek(Number(slider.value));
  });
  back.addEventListener('click', () => step(-1));
  fwd.addEventListener('click', () => step(1));
  liveBtn.addEventListener('click', () => live());
  pauseBtn.addEventListener('click', () => togglePause());

  function live() {
    stopPlay();
    seeker.cancel();
    store.seek(-1);
  }

  function step(d) {
    stopPlay();
    seeker.cancel();
    const i = store.cursorIndex() + d;
    if (i >= 0 && i < store.states.length) store.seek(i);
  }

  function togglePause() {
    if (store.source.kind === 'file') {
      if (playTimer) stopPlay(); else play();
      render();
      return;
    }
    ctl.setPaused(!ctl.paused());
    render();
  }

  // Replay a recording at its own pace (the gaps between its states).
  function play() {
    if (store.cursorIndex() >= store.states.length - 1) store.seek(0);
    const tick = () => {
      const i = store.cursorIndex();
      if (i >= store.states.length - 1) { stopPlay(); render(); return; }
      const gap = store.states[i + 1].ts - store.states[i].ts;
      playTimer = setTimeout(() => { store.seek(i + 1); tick(); }, Math.max(50, Math.min(3000, gap)));
    };
    playTimer = -1;
    tick();
  }

  function stopPlay() {
    if (playTimer > 0) clearTimeout(playTimer);
    playTimer = 0;
  }

  function renderReplay() {
    const r = store.replay;
    const sp = seeker.span();
    const n = store.states.length;
    const i = store.cursorIndex();
    const follow = store.following();
    const seek = seeker.status();
    replayTag.hidden = false;
    const speed = r.speed ? `${Number(r.speed.toPrecision(3))}×` : 'max speed';
    // The file's name: its directory is the endpoint's business (and in the title).
    const source = (r.source || 'recording').split('/').pop();
    setText(replayTag, `⟲ Replay · ${source}${r.node ? ` (${r.node})` : ''} · ${speed}${r.loop ? ' · loop' : ''}`);
    replayTag.title = `this endpoint replays ${r.source || 'a recording'}${r.node ? `, node ${r.node}` : ''}`;
    el.dataset.replay = '1';
    el.dataset.start = String(sp.start);
    el.dataset.end = String(sp.end);
    slider.min = String(sp.start);
    slider.max = String(sp.end);
    const shownTs = n ? store.states[i].ts : sp.start;
    // While dragging, the thumb stays where the user is; otherwise it shows the state.
    if (document.activeElement !== slider || seek.pending === null) slider.value = String(seek.pending ?? shownTs);
    slider.disabled = sp.end <= sp.start;
    setText(liveBtn, '● Follow');
    liveBtn.title = 'follow the replay: show each state as it is pushed (End)';
    liveBtn.hidden = false;
    liveBtn.classList.toggle('on', follow);
    liveBtn.disabled = follow;
    const paused = ctl.paused();
    setText(pauseBtn, paused ? '▶ Resume' : '❚❚ Pause');
    pauseBtn.setAttribute('aria-pressed', String(paused));
    pauseBtn.disabled = !ctl.connected() && !paused;
    back.disabled = i <= 0;
    fwd.disabled = i < 0 || i >= n - 1;
    el.dataset.index = String(i);
    el.dataset.count = String(n);
    el.dataset.shownTs = n ? String(shownTs) : '';
    el.dataset.pending = seek.pending === null ? '' : String(seek.pending);
    const where = `recording ${fmt.clock(sp.start)}–${fmt.clock(sp.end)} · ${n} of ${r.state_count || '?'} states held`;
    if (seek.pending !== null) {
      setText(label, `${fmt.clock(seek.pending)} …`);
      setText(span, `asking the endpoint for the state at ${fmt.clock(seek.pending)} · ${where}`);
    } else {
      setText(label, n ? `${fmt.clock(shownTs)} (+${fmt.duration(Math.max(0, shownTs - sp.start))})` : '–');
      setText(span, seek.error ? `seek failed: ${seek.error} · ${where}` : where);
    }
    span.classList.toggle('tb-error', !!seek.error && seek.pending === null);
    spark.setData(store.states.map((x) => ({ ts: x.ts, in: x.summary.bwIn, out: x.summary.bwOut })), follow ? -1 : i, { t0: sp.start, t1: sp.end });
  }

  function render() {
    if (store.replay) { renderReplay(); return; }
    if (el.dataset.replay) {
      delete el.dataset.replay;
      replayTag.hidden = true;
      slider.min = '0';
      setText(liveBtn, '● Live');
      liveBtn.title = 'jump to the newest state (End)';
      span.classList.remove('tb-error');
    }
    const n = store.states.length;
    const i = store.cursorIndex();
    const file = store.source.kind === 'file';
    slider.max = String(Math.max(0, n - 1));
    slider.value = String(Math.max(0, i));
    slider.disabled = n < 2;
    const follow = store.following();
    liveBtn.hidden = file;
    liveBtn.classList.toggle('on', follow);
    liveBtn.disabled = follow;
    if (file) {
      setText(pauseBtn, playTimer ? '❚❚ Pause' : '▶ Play');
      pauseBtn.setAttribute('aria-pressed', String(!!playTimer));
      pauseBtn.disabled = n < 2;
    } else {
      const paused = ctl.paused();
      setText(pauseBtn, paused ? '▶ Resume' : '❚❚ Pause');
      pauseBtn.setAttribute('aria-pressed', String(paused));
      pauseBtn.disabled = !ctl.connected() && !paused;
    }
    back.disabled = i <= 0;
    fwd.disabled = i < 0 || i >= n - 1;
    el.dataset.index = String(i);
    el.dataset.count = String(n);
    if (n) {
      const s = store.states[i];
      const newest = store.states[n - 1].ts;
      const behind = newest - s.ts;
      setText(label, `${fmt.clock(s.ts)}${!follow && behind > 0 ? ` (−${fmt.duration(behind)})` : ''}`);
      setText(span, `state ${i + 1}/${n} · ${fmt.duration(newest - store.states[0].ts)} held${file ? '' : ` · retention ${fmt.duration(store.retentionMs)}`}`);
    } else {
      setText(label, '–');
      setText(span, 'no states yet');
    }
    spark.setData(store.states.map((x) => ({ ts: x.ts, in: x.summary.bwIn, out: x.summary.bwOut })), follow ? -1 : i);
  }

  return { render, togglePause, step, stopPlay, live };
}
