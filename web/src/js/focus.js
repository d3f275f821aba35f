// Opening an alert's subject where it lives: a peer in the connections
// view, a topic in pubsub, a bucket in the DHT, a scope in the resource
// manager, a protocol in streams. The view is shown with its filter set to
// the subject (so the row is in sight even among thousands; clearing the
// filter shows the rest) and the subject's row is marked by one
// constructed style rule, so rows the view draws later are marked too.

import { subjectView, bucketCpl } from './alerts.js';
import { scopeKey } from './views/resources.js';

/**
 * opts.showView(id) shows a view. Returns {open(kind, subject), clear()};
 * open returns false when nothing shows such a subject (kind "node").
 */
export function createFocus(app, opts) {
  const sheet = new CSSStyleSheet();
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];

  function setFilter(view, text) {
    const input = document.querySelector(`section[data-view="${view}"] .filter`);
    if (!input || input.value === text) return;
    input.value = text;
    input.dispatchEvent(new Event('input'));
  }

  // A scope subject may be "kind:name", a name, or a kind alone ("system").
  function scopeOf(subject) {
    const cur = app.store.current();
    const rm = cur ? cur.view.resources : null;
    const want = String(subject);
    for (const s of rm ? rm.scopes : []) {
      const key = scopeKey(app, s);
      const kind = key.slice(0, key.indexOf(':'));
      if (key === want || (s.name && s.name === want) || (!s.name && kind === want)) return { key, name: s.name || '' };
    }
    const i = want.indexOf(':');
    return { key: want, name: i >= 0 ? want.slice(i + 1) : want };
  }

  function open(kind, subject) {
    const view = subjectView(kind);
    if (!view || !subject) return false;
    const sel = `section[data-view="${view}"]`;
    const q = CSS.escape(subject);
    let rule;
    let filter = subject;
    switch (kind) {
      case 'peer':
        if (app.selectedPeer !== subject) app.selectPeer(subject);
        rule = `${sel} .vt-row[data-peer="${q}"]`;
        break;
      case 'bucket':
        rule = `${sel} .dht-row[data-cpl="${bucketCpl(subject)}"]`;
        filter = null;
        break;
      case 'scope': {
        const s = scopeOf(subject);
        rule = `${sel} .vt-row[data-key="${CSS.escape(s.key)}"]`;
        filter = s.name;
        break;
      }
      default:
        rule = `${sel} .vt-row[data-key="${q}"]`;
    }
    sheet.replaceSync(`${rule} { box-shadow: inset 4px 0 0 var(--bad); background: color-mix(in srgb, var(--bad) 14%, transparent); }`);
    opts.showView(view);
    if (filter !== null) setFilter(view, filter);
    document.body.dataset.focus = `${kind}:${subject}`;
    if (kind === 'bucket') {
      // The grid is drawn on the next frame; the row is found then.
      requestAnimationFrame(() => {
        const row = document.querySelector(rule);
        if (row) row.scrollIntoView({ block: 'nearest' });
      });
    }
    return true;
  }

  function clear() {
    sheet.replaceSync('');
    delete document.body.dataset.focus;
  }

  return { open, clear };
}
