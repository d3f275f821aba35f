// Delta states (peerscope extension): rebuild the full State that a delta
// State stands for, from the full State it is based on.
//
// A server sends deltas only to a session that asked for them
// (Configuration.delta_states); such a State has its `delta` field set
// (StateDelta, see proto/peerscope.proto for the rules applied here). The
// functions work on decoded messages with the .proto field names (keepCase):
// the visualizer's codec objects, protobufjs messages or plain objects.
// Absent fields may be missing, null/undefined, or read through the
// object's prototype; bytes are Uint8Arrays (or arrays of numbers).
//
// Pure: neither argument is modified. The result shares every entity that
// did not change with `prev` and every new one with `delta`.

/** Thrown when a delta cannot be applied; ask the server for a full state. */
export class DeltaError extends Error {
  constructor(message, { mismatch = false } = {}) {
    super(message);
    this.name = 'DeltaError';
    /** True when the delta is based on another state than `prev`. */
    this.mismatch = mismatch;
  }
}

/** Whether a decoded State is a delta. */
export function isDelta(state) {
  return Boolean(state && state.delta);
}

const list = (v) => (Array.isArray(v) ? v : []);

// A shallow copy that keeps the prototype (the codec reads defaults through it).
function copy(o) {
  return Object.assign(Object.create(Object.getPrototypeOf(o)), o);
}

// uint64 fields may be numbers, strings, bigints or Long objects.
function u64(v) {
  if (v === undefined || v === null) return '0';
  if (typeof v === 'object' && typeof v.toString === 'function' && 'low' in v) {
    return BigInt.asUintN(64, (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0)).toString();
  }
  return BigInt(v).toString();
}

function hex(bytes) {
  let s = '';
  for (const b of bytes || []) s += (b & 0xff).toString(16).padStart(2, '0');
  return s;
}

const connKey = (c) => hex(c.id);
const bucketKey = (b) => String(b.cpl || 0);
const topicKey = (t) => t.name || '';
const peerKey = (p) => p.peer_id || '';
const scopeKey = (s) => `${s.kind || 0}\u0000${s.name || ''}`;

// The keyed merge behind every list: prev's items in order minus the
// removed keys, each replaced by the delta's item of the same key, then
// the delta's items with new keys.
function merge(prevItems, deltaItems, removedKeys, keyOf, what) {
  const incoming = new Map();
  for (const item of list(deltaItems)) {
    const k = keyOf(item);
    if (incoming.has(k)) throw new DeltaError(`delta sends ${what} ${JSON.stringify(k)} twice`);
    incoming.set(k, item);
  }
  const removed = new Set();
  for (const k of removedKeys) {
    if (incoming.has(k)) throw new DeltaError(`delta both removes and sends ${what} ${JSON.stringify(k)}`);
    removed.add(k);
  }
  const out = [];
  const used = new Set();
  for (const item of list(prevItems)) {
    const k = keyOf(item);
    if (removed.has(k)) continue;
    if (incoming.has(k)) {
      if (!used.has(k)) out.push(incoming.get(k));
      used.add(k);
    } else {
      out.push(item);
    }
  }
  for (const [k, item] of incoming) if (!used.has(k)) out.push(item);
  return out;
}

// dht: 0 is subsystems.dht, i > 0 is additional_dhts[i - 1].
function mergeDht(prevDht, deltaDht, sd, index) {
  const removed = [];
  for (const rb of list(sd.removed_buckets)) {
    if ((rb.dht || 0) === index) for (const cpl of list(rb.cpls)) removed.push(String(cpl));
  }
  const out = copy(deltaDht);
  out.buckets = merge(prevDht ? prevDht.buckets : [], deltaDht.buckets, removed, bucketKey, 'DHT bucket');
  return out;
}

function mergeSubsystems(prev, d, sd) {
  const out = copy(d);
  const p = prev || {};
  out.connections = merge(p.connections, d.connections, list(sd.removed_connections).map(hex), connKey,
    'connection');
  if (d.dht) out.dht = mergeDht(p.dht, d.dht, sd, 0);
  if (list(d.additional_dhts).length) {
    out.additional_dhts = list(d.additional_dhts).map((x, i) => mergeDht(list(p.additional_dhts)[i], x, sd, i + 1));
  }
  if (d.pubsub) {
    out.pubsub = copy(d.pubsub);
    out.pubsub.topics = merge(p.pubsub ? p.pubsub.topics : [], d.pubsub.topics, list(sd.removed_topics),
      topicKey, 'topic');
  }
  if (d.peerstore) {
    out.peerstore = copy(d.peerstore);
    out.peerstore.peers = merge(p.peerstore ? p.peerstore.peers : [], d.peerstore.peers,
      list(sd.removed_peers), peerKey, 'peerstore peer');
  }
  if (d.resource_manager) {
    out.resource_manager = copy(d.resource_manager);
    out.resource_manager.scopes = merge(p.resource_manager ? p.resource_manager.scopes : [],
      d.resource_manager.scopes, list(sd.removed_scopes).map(scopeKey), scopeKey, 'scope');
  }
  return out;
}

/**
 * The full State that `delta` (a State with `delta` set) makes of `prev`
 * (the full State it is based on: prev.seq === delta.delta.base_seq).
 * Throws DeltaError (with mismatch = true when the bases differ); the
 * caller should then send REQUEST STATE and wait for a full state.
 */
export function applyDelta(prev, delta) {
  if (!delta || !delta.delta) throw new DeltaError('not a delta state');
  if (!prev) throw new DeltaError('no full state to apply a delta to', { mismatch: true });
  if (prev.delta) throw new DeltaError('the base is itself a delta', { mismatch: true });
  const base = u64(delta.delta.base_seq);
  if (u64(prev.seq) !== base) {
    throw new DeltaError(`delta is based on state ${base}, not on state ${u64(prev.seq)}`, { mismatch: true });
  }
  const out = copy(delta);
  out.delta = null;
  out.subsystems = mergeSubsystems(prev.subsystems, delta.subsystems || {}, delta.delta);
  return out;
}
