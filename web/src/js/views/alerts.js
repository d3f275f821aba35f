// Alerts: the alerts firing at the shown state's time (State.alerts), and
// the recent AlertFiring / AlertResolved events up to that time. A
// subject opens the view where it lives, highlighted there (focus.js).

import { h, setText } from '../dom.js';
import * as fmt from '../format.js';
import { activeAlerts, alertHistory, countBySeverity, subjectView, alertNumber } from '../alerts.js';
import { emptyState } from './common.js';

const HISTORY_MAX = 200;
const PEER_ID = /^(12D3KooW|Qm|16Uiu2)[1-9A-HJ-NP-Za-km-z]{20,}$/;

function sevPill(sev) {
  return h('span', { class: `pill sev sev-${sev}` }, sev);
}

export function alertsView(app) {
  const store = app.store;
  const summary = h('span', { class: 'count' });
  const activeBody = h('tbody');
  const active = h('table', { class: 'alerts-table alerts-active' },
    h('thead', null, h('tr', null, ['Severity', 'Rule', 'Subject', 'Value', 'Threshold', 'Since', 'Message'].map((t) => h('th', null, t)))),
    activeBody);
  const noneActive = h('p', { class: 'muted alerts-none' }, 'No alert fires at this time.');
  const historyBody = h('tbody');
  const history = h('table', { class: 'alerts-table alerts-history' },
    h('thead', null, h('tr', null, ['Time', 'Event', 'Severity', 'Rule', 'Subject', 'Value', 'Threshold'].map((t) => h('th', null, t)))),
    historyBody);
  const noHistory = h('p', { class: 'muted alerts-none' }, 'No AlertFiring or AlertResolved events held.');
  const content = h('div', { class: 'alerts-body' },
    h('div', { class: 'card alerts-card' }, h('h3', null, 'Firing now'), active, noneActive),
    h('div', { class: 'card alerts-card' }, h('h3', null, 'Recent alert events'), history, noHistory));
  const empty = emptyState('No alerts', 'The host reports no alerts: none of its rules fires, or it has no analyzers (a 2020 endpoint has none).');
  const el = h('section', { class: 'view view-alerts', dataset: { view: 'alerts' } },
    h('div', { class: 'toolbar' }, summary), content, empty);

  // A subject button: opens the subject's view, or plain text when no view shows it.
  function subjectCell(kind, subject) {
    if (!subject) return h('td', { class: 'muted' }, '–');
    const label = kind === 'peer' ? fmt.shortPeer(subject) : subject;
    const title = `${kind || 'subject'} ${subject}`;
    if (!subjectView(kind)) return h('td', { class: 'mono', title }, kind && kind !== 'node' ? `${kind} ${label}` : label);
    return h('td', null, h('button', {
      type: 'button',
      class: 'alert-subject mono',
      title: `${title}\n(click to show it in its view)`,
      dataset: { kind, subject },
      onclick: () => app.focusSubject(kind, subject),
    }, h('span', { class: 'muted' }, kind), ' ', label));
  }

  function sinceCell(ts, now) {
    if (!ts) return h('td', { class: 'muted' }, '–');
    return h('td', { class: 'num', title: fmt.dateTime(ts) }, `${fmt.duration(Math.max(0, now - ts))} ago`);
  }

  let shownKey = '';
  function update() {
    const cur = store.current();
    const upTo = store.cursorTs();
    const key = `${cur ? cur.entry.n : -1}/${store.eventsSeen}/${store.events.length}/${upTo}`;
    if (key === shownKey) return;
    shownKey = key;
    const alerts = activeAlerts(cur ? cur.state : null);
    const now = cur ? cur.view.ts : Date.now();
    // Events carry no subject_kind: take the kind an alert of the same rule states.
    const kinds = new Map();
    for (const a of alerts) kinds.set(a.rule, a.subjectKind);
    const hist = alertHistory(store.events, (e) => store.eventContent(e), upTo, HISTORY_MAX);

    activeBody.replaceChildren(...alerts.map((a) => h('tr', {
      class: `sev-row sev-${a.severity}`,
      dataset: { rule: a.rule, subject: a.subject, severity: a.severity },
    },
    h('td', null, sevPill(a.severity)),
    h('td', { title: a.kind ? `kind ${a.kind}` : null }, h('b', null, a.rule || '?'), a.kind && a.kind !== a.rule ? h('span', { class: 'muted small' }, ` ${a.kind}`) : null),
    subjectCell(a.subjectKind, a.subject),
    h('td', { class: 'num' }, alertNumber(a.value)),
    h('td', { class: 'num muted' }, alertNumber(a.threshold)),
    sinceCell(a.sinceTs, now),
    h('td', { class: 'alert-msg' }, a.message))));
    active.hidden = !alerts.length;
    noneActive.hidden = alerts.length > 0;
    active.dataset.rows = String(alerts.length);

    historyBody.replaceChildren(...hist.map((e) => {
      const kind = kinds.get(e.rule) || (PEER_ID.test(e.subject) ? 'peer' : '');
      return h('tr', { class: e.firing ? 'ev-firing' : 'ev-resolved', dataset: { rule: e.rule, subject: e.subject } },
        h('td', { class: 'mono', title: fmt.dateTime(e.ts) }, fmt.clock(e.ts)),
        h('td', null, h('span', { class: `pill ${e.firing ? 'ev-fire' : 'ev-resolve'}` }, e.firing ? 'firing' : 'resolved')),
        h('td', null, sevPill(e.severity)),
        h('td', null, e.rule || '?'),
        subjectCell(kind, e.subject),
        h('td', { class: 'num' }, alertNumber(e.value)),
        h('td', { class: 'num muted' }, alertNumber(e.threshold)));
    }));
    history.hidden = !hist.length;
    noHistory.hidden = hist.length > 0;
    history.dataset.rows = String(hist.length);

    const nothing = !alerts.length && !hist.length;
    empty.hidden = !nothing;
    content.hidden = nothing;
    const c = countBySeverity(alerts);
    setText(summary, alerts.length
      ? `${c.total} firing: ${['critical', 'warning', 'info'].filter((s) => c[s]).map((s) => `${c[s]} ${s}`).join(', ')} · ${hist.length} alert events`
      : `none firing · ${hist.length} alert events`);
  }

  return {
    id: 'alerts',
    title: 'Alerts',
    el,
    badge: () => {
      const cur = store.current();
      const n = cur ? activeAlerts(cur.state).length : 0;
      return n ? fmt.int(n) : '';
    },
    update,
  };
}
