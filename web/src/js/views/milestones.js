// The overview's "Durations" card: how long the node took to reach each
// milestone of its lifecycle (State.milestones, else Runtime.milestones),
// measured from the introspector's start or from another milestone.

import { h } from '../dom.js';
import * as fmt from '../format.js';
import { milestonesOf, milestoneLabel } from '../alerts.js';

/** A duration as the durations show it: below a minute the fraction of a second matters (time to first peer). */
export function took(ms) {
  if (ms >= 1000 && ms < 60000) return `${(ms / 1000).toFixed(ms < 10000 ? 2 : 1)}s`;
  return fmt.duration(ms);
}

/** The card element, or null when the host reports no milestones (a 2020 endpoint). */
export function milestonesCard(state, runtime) {
  const ms = milestonesOf(state, runtime);
  if (!ms.length) return null;
  const rows = ms.map((m) => h('tr', { dataset: { milestone: m.name } },
    h('td', { title: m.name }, milestoneLabel(m.name)),
    h('td', { class: 'num ms-dur' }, took(m.durationMs)),
    h('td', { class: 'muted small' }, m.from ? `after ${milestoneLabel(m.from)}` : 'after start'),
    h('td', { class: 'muted small mono', title: fmt.dateTime(m.reachedTs) }, m.reachedTs ? fmt.clock(m.reachedTs) : '')));
  return h('div', { class: 'card c-durations' },
    h('h3', null, 'Durations'),
    h('table', { class: 'durations', dataset: { rows: String(ms.length) } },
      h('thead', null, h('tr', null, h('th', null, 'milestone'), h('th', null, 'took'), h('th', null, 'measured'), h('th', null, 'at'))),
      h('tbody', null, rows)));
}
