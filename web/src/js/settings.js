// Settings: snapshot interval and retention, sent as UPDATE_CONFIG (and in
// HELLO on the next connect), remembered in localStorage.

import { h } from './dom.js';

const KEY = 'peerscope.config';
// The 2020 limits, which peerscope keeps (clamped by the server anyway).
export const LIMITS = { intervalMin: 500, intervalMax: 60000, retentionMax: 120000 };
export const DEFAULT_CONFIG = { retention_period_ms: 120000, state_snapshot_interval_ms: 1000 };

export function loadConfig() {
  try {
    const c = JSON.parse(localStorage.getItem(KEY) || 'null');
    if (c && Number.isFinite(c.retention_period_ms) && Number.isFinite(c.state_snapshot_interval_ms)) return clamp(c);
  } catch { /* unreadable: defaults */ }
  return { ...DEFAULT_CONFIG };
}

function saveConfig(c) {
  try { localStorage.setItem(KEY, JSON.stringify(c)); } catch { /* private mode: not remembered */ }
}

export function clamp(c) {
  const iv = Math.round(Math.min(LIMITS.intervalMax, Math.max(LIMITS.intervalMin, c.state_snapshot_interval_ms)));
  const rt = Math.round(Math.min(LIMITS.retentionMax, Math.max(iv, c.retention_period_ms)));
  return { retention_period_ms: rt, state_snapshot_interval_ms: iv };
}

/** apply(config) -> Promise of the effective configuration. */
export function createSettings(app, apply) {
  const dlg = document.getElementById('settings-dialog');
  const interval = h('input', { type: 'number', min: String(LIMITS.intervalMin / 1000), max: String(LIMITS.intervalMax / 1000), step: '0.5', required: true, id: 'set-interval' });
  const retention = h('input', { type: 'number', min: '1', max: String(LIMITS.retentionMax / 1000), step: '1', required: true, id: 'set-retention' });
  const note = h('p', { class: 'muted small' });
  const form = h('form', { method: 'dialog' },
    h('h2', null, 'Settings'),
    h('label', { for: 'set-interval' }, 'Snapshot interval (seconds)'),
    interval,
    h('p', { class: 'muted small' }, `How often the endpoint pushes a state: ${LIMITS.intervalMin / 1000} to ${LIMITS.intervalMax / 1000} s.`),
    h('label', { for: 'set-retention' }, 'Retention (seconds)'),
    retention,
    h('p', { class: 'muted small' }, `How far back the time bar reaches, and how long the endpoint queues while paused: up to ${LIMITS.retentionMax / 1000} s.`),
    note,
    h('div', { class: 'dlg-actions' },
      h('button', { type: 'button', value: 'cancel', onclick: () => dlg.close() }, 'Cancel'),
      h('button', { type: 'submit', class: 'primary', value: 'ok' }, 'Apply')));
  dlg.replaceChildren(form);

  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const c = clamp({
      state_snapshot_interval_ms: Number(interval.value) * 1000,
      retention_period_ms: Number(retention.value) * 1000,
    });
    saveConfig(c);
    dlg.close();
    try {
      const eff = await apply(c);
      app.toast(`Interval ${eff.state_snapshot_interval_ms / 1000} s, retention ${eff.retention_period_ms / 1000} s`, 'info');
    } catch (e) {
      app.toast(`Settings not applied: ${e.message}`, 'error');
    }
  });

  return {
    open(current, live) {
      interval.value = String(current.state_snapshot_interval_ms / 1000);
      retention.value = String(current.retention_period_ms / 1000);
      note.textContent = live ? '' : 'Not connected: these apply on the next connection.';
      dlg.showModal();
    },
  };
}
