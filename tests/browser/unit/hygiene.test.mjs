// Static guards on the visualizer's sources: what the endpoint's CSP would
// block (eval, inline handlers and styles) or what would open an XSS hole
// (host-supplied strings parsed as HTML) must not appear.
import test from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { webDir } from '../lib/paths.mjs';

function files(dir) {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(path.join(dir, e.name)) : [path.join(dir, e.name)]));
}
const src = path.join(webDir, 'src');

test('no eval, no HTML parsing of strings, no inline styles from script', () => {
  const banned = [/\beval\s*\(/, /new\s+Function\b/, /\binnerHTML\b/, /\bouterHTML\b/, /insertAdjacentHTML/, /document\.write/,
    /setAttribute\(\s*['"]style['"]/, /\.cssText\b/, /setTimeout\(\s*['"`]/, /setInterval\(\s*['"`]/];
  for (const f of files(src).filter((x) => x.endsWith('.js'))) {
    const text = fs.readFileSync(f, 'utf8');
    for (const re of banned) assert.ok(!re.test(text), `${path.relative(src, f)} matches ${re}`);
  }
});

test('HTML has no inline script, style or event handler', () => {
  for (const f of [...files(src).filter((x) => x.endsWith('.html')), path.join(webDir, 'fallback.html')]) {
    const text = fs.readFileSync(f, 'utf8');
    for (const m of text.matchAll(/<script\b[^>]*>/g)) assert.match(m[0], /\bsrc=/, `${f}: inline <script>`);
    assert.ok(!/<style\b/.test(text), `${f}: <style>`);
    assert.ok(!/\sstyle=/.test(text), `${f}: style attribute`);
    assert.ok(!/\son[a-z]+=/.test(text), `${f}: inline event handler`);
  }
});
