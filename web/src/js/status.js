// The connection pill in the top bar and the banner under the tabs: what
// the page is connected to and what to do about it (retry, a token, back
// to live from a recording).

import { h, setText } from './dom.js';
import { rememberToken } from './token.js';

const LABELS = {
  file: 'Recording',
  idle: 'Starting',
  connecting: 'Connecting…',
  open: 'Live',
  replay: 'Replay',
  paused: 'Paused',
  retrying: 'Disconnected',
  auth: 'Token required',
  incompatible: 'Incompatible',
  stopped: 'Stopped',
};

/** opts: store, wsUrl, client() (the live client or null), backToLive() */
export function createStatus(opts) {
  const { store, wsUrl } = opts;
  const pill = document.getElementById('conn-status');
  const banner = document.getElementById('banner');
  let countdown = 0;
  let shown = { s: null, phase: '', source: null };

  function tokenForm(client, hadToken) {
    const input = h('input', { type: 'password', id: 'token-input', placeholder: 'access token', autocomplete: 'off', spellcheck: 'false', 'aria-label': 'access token' });
    const form = h('form', { class: 'token-form' },
      h('span', null, hadToken ? 'The endpoint refused this token. ' : 'This endpoint requires an access token. '),
      input,
      h('button', { type: 'submit', class: 'primary' }, 'Connect'));
    form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      const t = input.value.trim();
      if (!t) return;
      rememberToken(t);
      client.setToken(t);
    });
    setTimeout(() => input.focus(), 0);
    return form;
  }

  function bannerFor(phase, s, client) {
    if (phase === 'file') {
      return [h('span', null, 'Viewing the recording ', h('b', null, store.source.name),
        ` — ${store.states.length} states, ${store.events.length} events${store.corrupt ? `, ${store.corrupt} corrupted records skipped` : ''}. `),
      h('button', { type: 'button', onclick: opts.backToLive }, 'Back to live')];
    }
    if (phase === 'connecting' || phase === 'idle') {
      return store.states.length ? null : [h('span', { class: 'spinner' }), ` Connecting to ${wsUrl}…`];
    }
    if (phase === 'retrying') {
      const cd = h('span', { class: 'cd' });
      const tick = () => setText(cd, `${Math.max(0, Math.ceil((s.at - Date.now()) / 1000))}s`);
      tick();
      countdown = setInterval(tick, 500);
      return [h('span', null, `Disconnected from ${wsUrl} (${s.reason}). Reconnecting in `, cd, ` (attempt ${s.attempt}). `),
        h('button', { type: 'button', onclick: () => client.retry() }, 'Retry now'),
        h('button', { type: 'button', onclick: () => client.askToken(), title: 'connect with an access token' }, 'Use a token…')];
    }
    if (phase === 'auth') return [tokenForm(client, s.hadToken)];
    if (phase === 'incompatible') {
      return [h('span', null, h('b', null, 'Incompatible data: '), `${s.detail}. This page reads the introspection protocol version 1. `),
        h('button', { type: 'button', onclick: () => client.retry() }, 'Retry')];
    }
    return null;
  }

  function render() {
    const client = opts.client();
    const file = store.source.kind === 'file';
    const s = client ? client.status : { phase: 'idle' };
    const phase = file ? 'file' : s.phase === 'open' && s.paused ? 'paused'
      : s.phase === 'open' && store.replay ? 'replay' : s.phase;
    // Rebuilding the banner would also wipe a token being typed.
    if (shown.s === s && shown.phase === phase && shown.source === store.source) return;
    shown = { s, phase, source: store.source };
    clearInterval(countdown);
    pill.dataset.phase = phase;
    document.body.dataset.phase = phase;
    banner.dataset.kind = phase;
    setText(pill.querySelector('.label'), LABELS[phase] || phase);
    pill.title = file ? `viewing ${store.source.name}` : wsUrl;
    const content = bannerFor(phase, s, client);
    banner.hidden = !content;
    banner.replaceChildren(...(content || []));
  }

  return { render };
}
