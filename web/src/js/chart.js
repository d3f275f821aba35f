// A canvas time-series chart (no library): filled lines, a value axis with
// round ticks, time labels, a marker at the shown state, and a hover
// read-out. Clicking picks the nearest point (the time bar seeks to it).

import { h, cssVar } from './dom.js';
import { clock } from './format.js';

function niceStep(max, ticks) {
  const raw = max / ticks;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const f = raw / mag;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * mag;
}

// Byte rates read best on powers of 1024.
function niceStepBinary(max, ticks) {
  const raw = max / ticks;
  if (raw < 1) return niceStep(max, ticks);
  const p = 1024 ** Math.floor(Math.log(raw) / Math.log(1024));
  return niceStep(raw / p * ticks, ticks) * p;
}

export class TimeChart {
  /**
   * opts: series [{key, label, color: '--css-var'}], format(v), binary,
   * compact (no axes: the time bar's sparkline), onPick(index)
   */
  constructor(opts) {
    this.series = opts.series;
    this.format = opts.format || String;
    this.binary = !!opts.binary;
    this.compact = !!opts.compact;
    this.onPick = opts.onPick || null;
    this.points = [];
    this.cursor = -1;
    this.domain = null;
    this.hover = -1;
    this.canvas = h('canvas', { class: 'chart-canvas' });
    this.legend = this.compact ? null : h('div', { class: 'chart-legend' }, this.series.map((s) => h('span', { class: `lg lg-${s.key}` }, s.label)));
    this.readout = this.compact ? null : h('span', { class: 'chart-readout' });
    if (this.legend) this.legend.append(this.readout);
    this.el = h('div', { class: `chart${this.compact ? ' compact' : ''}` }, this.legend, this.canvas);
    new ResizeObserver(() => this.draw()).observe(this.canvas);
    this.canvas.addEventListener('mousemove', (ev) => { this.hover = this.indexAt(ev); this.draw(); });
    this.canvas.addEventListener('mouseleave', () => { this.hover = -1; this.draw(); });
    this.canvas.addEventListener('click', (ev) => {
      const i = this.indexAt(ev);
      if (i >= 0 && this.onPick) this.onPick(i);
    });
    matchMedia('(prefers-color-scheme: dark)').addEventListener('change', () => this.draw());
  }

  /**
   * points: [{ts, <series key>: number}], cursor: index of the shown one;
   * domain {t0, t1}: the time axis, when it is wider than the points (a
   * replay's whole recording).
   */
  setData(points, cursor, domain = null) {
    this.points = points;
    this.cursor = cursor;
    this.domain = domain && domain.t1 > domain.t0 ? domain : null;
    this.draw();
  }

  timeSpan() {
    const pts = this.points;
    if (this.domain) return [this.domain.t0, this.domain.t1];
    return [pts.length ? pts[0].ts : 0, pts.length ? pts[pts.length - 1].ts : 1];
  }

  geometry() {
    const w = this.canvas.clientWidth;
    const hgt = this.canvas.clientHeight;
    const pad = this.compact ? { l: 2, r: 2, t: 3, b: 2 } : { l: 64, r: 12, t: 10, b: 22 };
    return { w, hgt, pad, pw: Math.max(1, w - pad.l - pad.r), ph: Math.max(1, hgt - pad.t - pad.b) };
  }

  indexAt(ev) {
    const n = this.points.length;
    if (!n) return -1;
    const { pad, pw } = this.geometry();
    const rect = this.canvas.getBoundingClientRect();
    const x = ev.clientX - rect.left - pad.l;
    const [t0, t1] = this.timeSpan();
    const t = t0 + (t1 - t0) * Math.max(0, Math.min(1, x / pw));
    let best = 0;
    for (let i = 1; i < n; i++) if (Math.abs(this.points[i].ts - t) < Math.abs(this.points[best].ts - t)) best = i;
    return best;
  }

  draw() {
    const cv = this.canvas;
    const { w, hgt, pad, pw, ph } = this.geometry();
    if (!w || !hgt) return;
    const dpr = window.devicePixelRatio || 1;
    if (cv.width !== Math.round(w * dpr) || cv.height !== Math.round(hgt * dpr)) {
      cv.width = Math.round(w * dpr);
      cv.height = Math.round(hgt * dpr);
    }
    const g = cv.getContext('2d');
    g.setTransform(dpr, 0, 0, dpr, 0, 0);
    g.clearRect(0, 0, w, hgt);
    const pts = this.points;
    const fg = cssVar('--muted');
    const grid = cssVar('--grid');
    g.font = '11px system-ui, sans-serif';

    let max = 0;
    for (const p of pts) for (const s of this.series) max = Math.max(max, p[s.key] || 0);
    const ticks = this.compact ? 1 : 4;
    const step = max > 0 ? (this.binary ? niceStepBinary(max, ticks) : niceStep(max, ticks)) : 1;
    const top = Math.max(step, Math.ceil(max / step) * step);
    const [t0, t1] = this.timeSpan();
    const span = Math.max(1, t1 - t0);
    const X = (ts) => pad.l + (pts.length > 1 || this.domain ? ((ts - t0) / span) * pw : pw);
    const Y = (v) => pad.t + ph - (v / top) * ph;

    if (!this.compact) {
      g.strokeStyle = grid;
      g.fillStyle = fg;
      g.lineWidth = 1;
      g.textAlign = 'right';
      g.textBaseline = 'middle';
      for (let v = 0; v <= top + step / 2; v += step) {
        const y = Math.round(Y(v)) + 0.5;
        g.beginPath();
        g.moveTo(pad.l, y);
        g.lineTo(pad.l + pw, y);
        g.stroke();
        g.fillText(this.format(v), pad.l - 6, y);
      }
      g.textAlign = 'center';
      g.textBaseline = 'top';
      if (pts.length > 1) {
        // No more labels than distinct seconds in the span.
        const labels = Math.max(2, Math.min(6, Math.floor(pw / 90), Math.floor(span / 1000) + 1));
        let prev = '';
        for (let i = 0; i < labels; i++) {
          const ts = t0 + (span * i) / (labels - 1);
          const text = clock(ts);
          if (text === prev) continue;
          prev = text;
          g.textAlign = i === 0 ? 'left' : i === labels - 1 ? 'right' : 'center';
          g.fillText(text, X(ts), pad.t + ph + 6);
        }
      }
    }

    if (!pts.length) {
      if (!this.compact) {
        g.textAlign = 'center';
        g.fillStyle = fg;
        g.fillText('waiting for states…', pad.l + pw / 2, pad.t + ph / 2);
      }
      return;
    }

    for (const s of this.series) {
      const color = cssVar(s.color);
      if (pts.length === 1) {
        // One state is a point, not a line.
        g.fillStyle = color;
        g.beginPath();
        g.arc(X(pts[0].ts), Y(pts[0][s.key] || 0), 3, 0, Math.PI * 2);
        g.fill();
        continue;
      }
      g.beginPath();
      pts.forEach((p, i) => {
        const x = X(p.ts);
        const y = Y(p[s.key] || 0);
        if (i === 0) g.moveTo(x, y); else g.lineTo(x, y);
      });
      g.strokeStyle = color;
      g.lineWidth = this.compact ? 1 : 1.6;
      g.lineJoin = 'round';
      g.stroke();
      g.lineTo(X(pts[pts.length - 1].ts), pad.t + ph);
      g.lineTo(X(pts[0].ts), pad.t + ph);
      g.closePath();
      g.globalAlpha = this.compact ? 0.18 : 0.12;
      g.fillStyle = color;
      g.fill();
      g.globalAlpha = 1;
    }

    const mark = (i, color, width) => {
      if (i < 0 || i >= pts.length) return;
      const x = Math.round(X(pts[i].ts)) + 0.5;
      g.strokeStyle = color;
      g.lineWidth = width;
      g.beginPath();
      g.moveTo(x, pad.t);
      g.lineTo(x, pad.t + ph);
      g.stroke();
    };
    if (this.cursor >= 0 && this.cursor < pts.length - 1) mark(this.cursor, cssVar('--accent'), 2);
    if (this.hover >= 0) {
      mark(this.hover, fg, 1);
      const p = pts[this.hover];
      for (const s of this.series) {
        g.fillStyle = cssVar(s.color);
        g.beginPath();
        g.arc(X(p.ts), Y(p[s.key] || 0), 3, 0, Math.PI * 2);
        g.fill();
      }
    }
    if (this.readout) {
      const i = this.hover >= 0 ? this.hover : this.cursor >= 0 ? this.cursor : pts.length - 1;
      const p = pts[i];
      this.readout.textContent = `${clock(p.ts)}  ${this.series.map((s) => `${s.label} ${this.format(p[s.key] || 0)}`).join('  ')}`;
    }
  }
}
