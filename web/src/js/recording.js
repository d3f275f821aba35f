// Recording files in and out of the page (the 2020 file format).

import { parseRecording, FrameError } from './wire.js';
import { DecodeError } from './codec.js';
import { h } from './dom.js';

/**
 * Read a File: {items: [{bytes, msg}], bad, truncated}. Throws an Error
 * with a message for the user when it is not a usable recording.
 */
export async function readRecording(file, codec) {
  let parsed;
  try {
    parsed = parseRecording(new Uint8Array(await file.arrayBuffer()));
  } catch (e) {
    if (e instanceof FrameError) throw new Error(`${file.name} is not a recording: ${e.message}`);
    throw e;
  }
  const items = [];
  let bad = parsed.skipped;
  for (const bytes of parsed.messages) {
    try {
      items.push({ bytes, msg: codec.decode('ServerMessage', bytes) });
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      bad++;
    }
  }
  if (!items.some((x) => x.msg.payload === 'state' || x.msg.payload === 'event')) {
    throw new Error(`${file.name} holds no states or events`);
  }
  return { items, bad, truncated: parsed.truncated };
}

function stamp(d) {
  const p = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}${p(d.getMonth() + 1)}${p(d.getDate())}-${p(d.getHours())}${p(d.getMinutes())}${p(d.getSeconds())}`;
}

/** Offer what the store holds as a download; returns {name, size}. */
export function saveRecording(store) {
  const bytes = store.exportRecording();
  const rt = store.runtime;
  const name = `peerscope-${rt ? rt.peer_id.slice(-8) : 'session'}-${stamp(new Date())}.recording`;
  const url = URL.createObjectURL(new Blob([bytes], { type: 'application/octet-stream' }));
  const a = h('a', { href: url, download: name, class: 'offscreen' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 60000);
  return { name, size: bytes.length };
}
