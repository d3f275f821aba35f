// Static guards on what the endpoint serves (web/src and the generated
// schema module, as embed.py stages them): what the endpoint's CSP would
// block (eval, inline handlers and styles), what would open an XSS hole
// (host-supplied strings parsed as HTML), and anything from outside the
// tree (the page needs no npm package).
import test from 'node:test';
import assert from 'node:assert/strict';
import { stageAssets } from '../lib/assets.mjs';

const served = [...stageAssets().values()].map((f) => ({ ...f, text: f.data.toString('utf8') }));
const scripts = served.filter((f) => f.path.endsWith('.js'));

test('no eval, no HTML parsing of strings, no inline styles from script', () => {
  const banned = [/\beval\s*\(/, /new\s+Function\b/, /\bFunction\s*\(/, /\binnerHTML\b/, /\bouterHTML\b/, /insertAdjacentHTML/, /document\.write/,
    /setAttribute\(\s*['"]style['"]/, /\.cssText\b/, /setTimeout\(\s*['"`]/, /setInterval\(\s*['"`]/];
  assert.ok(scripts.some((f) => f.path === '/js/schema.js'));
  for (const f of scripts) {
    for (const re of banned) assert.ok(!re.test(f.text), `${f.path} matches ${re}`);
  }
});

test('HTML has no inline script, style or event handler', () => {
  for (const f of served.filter((x) => x.path.endsWith('.html'))) {
    for (const m of f.text.matchAll(/<script\b[^>]*>/g)) assert.match(m[0], /\bsrc=/, `${f.path}: inline <script>`);
    assert.ok(!/<style\b/.test(f.text), `${f.path}: <style>`);
    assert.ok(!/\sstyle=/.test(f.text), `${f.path}: style attribute`);
    assert.ok(!/\son[a-z]+=/.test(f.text), `${f.path}: inline event handler`);
  }
});

test('every module the page imports is served, none from a package', () => {
  const paths = new Set(served.map((f) => f.path));
  for (const f of scripts) {
    for (const m of f.text.matchAll(/^\s*(?:import|export)\b[^'"]*?\bfrom\s*['"]([^'"]+)['"]/gm)) {
      const spec = m[1];
      assert.ok(spec.startsWith('./') || spec.startsWith('../'), `${f.path} imports ${spec}`);
      const target = new URL(spec, `http://x${f.path}`).pathname;
      assert.ok(paths.has(target), `${f.path} imports ${target}, which is not served`);
    }
  }
  for (const f of served.filter((x) => x.path.endsWith('.html'))) {
    for (const m of f.text.matchAll(/\b(?:src|href)="([^"]+)"/g)) {
      const target = m[1] === '/' ? '/index.html' : m[1];
      assert.ok(paths.has(target), `${f.path} loads ${m[1]}, which is not served`);
    }
  }
  assert.ok(![...paths].some((p) => p.startsWith('/vendor/')));
});
