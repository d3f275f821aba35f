// The alert count in the top bar: how many alerts fire at the shown
// state's time, by severity, coloured by the worst. Hidden when none fire
// (and always for a 2020 endpoint, which sends no alerts). A click opens
// the alerts view.

import { h, setText } from './dom.js';
import { activeAlerts, countBySeverity } from './alerts.js';

/** onOpen() shows the alerts view. */
export function createAlertBanner(app, onOpen) {
  const total = h('span', { class: 'ab-total' });
  const parts = {
    critical: h('span', { class: 'ab-sev sev-critical' }),
    warning: h('span', { class: 'ab-sev sev-warning' }),
    info: h('span', { class: 'ab-sev sev-info' }),
  };
  const el = h('button', {
    type: 'button',
    id: 'alert-banner',
    class: 'alert-banner',
    hidden: true,
    title: 'alerts firing at the shown time (click for the alerts view)',
    onclick: () => onOpen(),
  }, h('span', { class: 'ab-icon', 'aria-hidden': 'true' }, '▲'), total, parts.critical, parts.warning, parts.info);
  // Next to the host: the first thing read in the top bar after its name.
  const node = document.getElementById('node');
  node.after(el);
  let shownKey = '';

  function render() {
    const cur = app.store.current();
    const c = countBySeverity(activeAlerts(cur ? cur.state : null));
    const key = `${c.total}/${c.critical}/${c.warning}/${c.info}`;
    if (key === shownKey) return;
    shownKey = key;
    el.hidden = c.total === 0;
    el.dataset.count = String(c.total);
    for (const s of ['critical', 'warning', 'info']) {
      el.dataset[s] = String(c[s]);
      setText(parts[s], c[s] ? `${c[s]} ${s}` : '');
    }
    el.dataset.worst = c.critical ? 'critical' : c.warning ? 'warning' : 'info';
    setText(total, `${c.total} ${c.total === 1 ? 'alert' : 'alerts'}`);
  }

  return { el, render };
}
