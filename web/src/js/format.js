// Formatting of numbers, times and ids for display. Pure functions.

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

/** 1536 -> "1.5 KiB". */
export function bytes(n) {
  if (!Number.isFinite(n) || n <= 0) return n === 0 ? '0 B' : '–';
  let i = 0;
  while (n >= 1024 && i < BYTE_UNITS.length - 1) { n /= 1024; i++; }
  return `${i === 0 ? n : n < 10 ? n.toFixed(2) : n < 100 ? n.toFixed(1) : n.toFixed(0)} ${BYTE_UNITS[i]}`;
}

/** Bytes per second -> "1.5 MiB/s". */
export function rate(n) {
  if (!Number.isFinite(n)) return '–';
  if (n <= 0) return '0';
  return `${bytes(n)}/s`;
}

/** 1234567 -> "1,234,567". */
export function int(n) {
  if (!Number.isFinite(n)) return '–';
  return Math.round(n).toLocaleString('en-US');
}

/** Compact count: 1234567 -> "1.23M". */
export function count(n) {
  if (!Number.isFinite(n)) return '–';
  const a = Math.abs(n);
  if (a < 1000) return String(Math.round(n));
  if (a < 1e6) return `${(n / 1e3).toFixed(a < 1e4 ? 2 : a < 1e5 ? 1 : 0)}k`;
  if (a < 1e9) return `${(n / 1e6).toFixed(a < 1e7 ? 2 : a < 1e8 ? 1 : 0)}M`;
  return `${(n / 1e9).toFixed(2)}G`;
}

/** Milliseconds -> "3m 12s", "2h 5m", "850ms". */
export function duration(ms) {
  if (!Number.isFinite(ms) || ms < 0) return '–';
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = Math.floor(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h}h ${String(m % 60).padStart(2, '0')}m`;
  return `${Math.floor(h / 24)}d ${h % 24}h`;
}

/** Nanoseconds of latency -> "12.3 ms", "850 µs". */
export function latencyNs(ns) {
  if (!Number.isFinite(ns) || ns <= 0) return '–';
  if (ns < 1e3) return `${ns} ns`;
  if (ns < 1e6) return `${(ns / 1e3).toFixed(ns < 1e4 ? 1 : 0)} µs`;
  if (ns < 1e9) return `${(ns / 1e6).toFixed(ns < 1e7 ? 1 : 0)} ms`;
  return `${(ns / 1e9).toFixed(2)} s`;
}

function pad2(n) { return String(n).padStart(2, '0'); }

/** Epoch ms -> local "HH:MM:SS". */
export function clock(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  return `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())}`;
}

/** Epoch ms -> local "HH:MM:SS.mmm". */
export function clockMs(ms) {
  if (!ms) return '–';
  return `${clock(ms)}.${String(Math.floor(ms % 1000)).padStart(3, '0')}`;
}

/** Epoch ms -> local "YYYY-MM-DD HH:MM:SS". */
export function dateTime(ms) {
  if (!ms) return '–';
  const d = new Date(ms);
  return `${d.getFullYear()}-${pad2(d.getMonth() + 1)}-${pad2(d.getDate())} ${clock(ms)}`;
}

// Multihash prefixes shared by every id of a key type carry no information.
const PEER_PREFIXES = ['12D3KooW', '16Uiu2HAm', 'Qm'];

/**
 * A short, recognisable form of a peer id, like go-libp2p's
 * peer.ID.ShortString: the first two characters, '*', the last six.
 */
export function shortPeer(id) {
  if (!id) return '–';
  if (id.length <= 12) return id;
  return `${id.slice(0, 2)}*${id.slice(-6)}`;
}

/** A stable hue (0-359) for a peer id, for its colour dot. */
export function peerHue(id) {
  let h = 2166136261;
  let start = 0;
  for (const p of PEER_PREFIXES) if (id.startsWith(p)) { start = p.length; break; }
  for (let i = start; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 16777619);
  }
  return (h >>> 0) % 360;
}

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** Bytes as lowercase hex. */
export function hex(b) {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]];
  return s;
}

/** The transport part of a multiaddr: "/ip4/1.2.3.4/udp/4001/quic-v1" -> "quic-v1". */
export function transportOf(ma) {
  if (!ma || ma[0] !== '/') return '';
  const parts = ma.split('/');
  const known = ['webrtc-direct', 'webtransport', 'quic-v1', 'quic', 'wss', 'ws', 'tls', 'tcp', 'udp', 'p2p-circuit'];
  for (const k of known) if (parts.includes(k)) return k;
  return '';
}
