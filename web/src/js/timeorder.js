// Lists of held records kept in time order ({ts, seq, ...} entries), for
// the two sessions whose messages do not come in time order: a recording
// file read whole (records of several runs, or written out of order), and a
// replaying endpoint (answers to seeks land anywhere in time, and a loop
// restart makes time jump back). A live session appends in arrival order
// and does not use this.

/** Index of the first entry with ts > the given one (where a new entry of that ts goes, after its equals). */
export function upperBound(list, ts) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].ts <= ts) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Index of the first entry with ts >= the given one. */
export function lowerBound(list, ts) {
  let lo = 0;
  let hi = list.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid].ts < ts) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** Index of the newest entry at or before ts, -1 when every entry is later. */
export function atOrBefore(list, ts) {
  return upperBound(list, ts) - 1;
}

/** Index of this very entry (by identity), -1 when it is not in the list. */
export function indexOfEntry(list, entry) {
  for (let i = lowerBound(list, entry.ts); i < list.length && list[i].ts === entry.ts; i++) {
    if (list[i] === entry) return i;
  }
  return -1;
}

/**
 * Put entry in its place. same(a, b) says that two entries of the same ts
 * are one record received twice (a seek answer that was pushed as well,
 * the second pass of a loop): then the held one stays and nothing is
 * inserted. Returns {index, entry, inserted}: entry is the one now held.
 */
export function insertInOrder(list, entry, same) {
  const end = upperBound(list, entry.ts);
  for (let i = end - 1; i >= 0 && list[i].ts === entry.ts; i--) {
    if (same && same(list[i], entry)) return { index: i, entry: list[i], inserted: false };
  }
  if (end === list.length) list.push(entry); else list.splice(end, 0, entry);
  return { index: end, entry, inserted: true };
}
