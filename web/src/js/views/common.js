// Pieces shared by the views: the filter box, sorting, empty states.

import { h } from '../dom.js';

/** A search box; onChange(terms) gets the lowercased words. */
export function filterBox(placeholder, onChange) {
  const input = h('input', {
    type: 'search',
    class: 'filter',
    placeholder,
    spellcheck: 'false',
    autocomplete: 'off',
    'aria-label': placeholder,
  });
  input.addEventListener('input', () => onChange(terms(input.value)));
  return input;
}

export function terms(text) {
  return text.toLowerCase().split(/\s+/).filter(Boolean);
}

/** Every term occurs in hay (already lowercased). */
export function matches(hay, words) {
  for (const w of words) if (!hay.includes(w)) return false;
  return true;
}

/** Sort rows in place by key(row), dir 1 or -1, ties by tie(row). */
export function sortRows(rows, key, dir, tie) {
  rows.sort((a, b) => {
    const x = key(a);
    const y = key(b);
    if (x < y) return -dir;
    if (x > y) return dir;
    const p = tie(a);
    const q = tie(b);
    return p < q ? -1 : p > q ? 1 : 0;
  });
  return rows;
}

/** Header click: same column flips the direction, a new one starts at def. */
export function nextSort(sort, key, defaults) {
  if (sort.key === key) return { key, dir: -sort.dir };
  return { key, dir: defaults[key] || 1 };
}

export function toolbar(...children) {
  return h('div', { class: 'toolbar' }, ...children);
}

export function emptyState(title, text) {
  return h('div', { class: 'empty-state' }, h('h3', null, title), text ? h('p', null, text) : null);
}

/** The time a row's age is measured against: the shown state's time. */
export function ageOf(now, openTs, closeTs) {
  if (!openTs) return NaN;
  return (closeTs || now) - openTs;
}

/** A small toggle button that reflects a boolean. */
export function toggle(label, on, onChange, title) {
  const b = h('button', { type: 'button', class: 'toggle', 'aria-pressed': String(on), title: title || null }, label);
  b.addEventListener('click', () => {
    on = !on;
    b.setAttribute('aria-pressed', String(on));
    onChange(on);
  });
  return b;
}
