// One node of the example network. Its first stdout line is
//   listening <multiaddr>/p2p/<peer id>
// then one `status <json>` line a second; it stops cleanly on SIGTERM/SIGINT.

import { parseArgs } from 'node:util'
import { startActivity, statusOf } from './lib/activity.mjs'
import { createNode } from './lib/create-node.mjs'

const usage = 'usage: node.mjs --listen /ip4/127.0.0.1/tcp/PORT [--bootstrap MULTIADDR]... ' +
  '[--topics a,b] [--seed S] [--introspect-port P]'

let args
try {
  args = parseArgs({
    options: {
      listen: { type: 'string' },
      bootstrap: { type: 'string', multiple: true, default: [] },
      topics: { type: 'string', default: 'peerscope-example' },
      seed: { type: 'string' },
      'introspect-port': { type: 'string' },
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
if (args.listen == null) {
  process.stderr.write(`--listen is required\n${usage}\n`)
  process.exit(2)
}
const topics = args.topics.split(',').map((t) => t.trim()).filter((t) => t !== '')

// --introspect-port P: the node serves itself through peerscope on port P
// (0: any free one). The addon comes from the meson build named by
// $PEERSCOPE_BUILD (default build/).
let metrics
let introspection
if (args['introspect-port'] != null) {
  const { peerscope } = await import('../../bindings/node/lib/index.js')
  const port = Number(args['introspect-port'])
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    process.stderr.write(`--introspect-port must be a port number\n${usage}\n`)
    process.exit(2)
  }
  const factory = peerscope({ port, implementation: 'js-libp2p example node' })
  metrics = (components) => (introspection = factory(components))
}

const node = await createNode({ listen: args.listen, bootstrap: args.bootstrap, seed: args.seed, metrics })
await node.start()

const own = node.getMultiaddrs().find((ma) => ma.toString().startsWith(args.listen))
process.stdout.write(`listening ${(own ?? node.getMultiaddrs()[0]).toString()}\n`)
if (introspection != null) {
  process.stdout.write(`introspect ${introspection.url} visualizer http://127.0.0.1:${introspection.port}/\n`)
}

const stop = new AbortController()
const counters = startActivity(node, { topics, signal: stop.signal })
const statusTimer = setInterval(() => {
  process.stdout.write(`status ${JSON.stringify(statusOf(node, topics, counters))}\n`)
}, 1000)

let stopping = false
async function shutdown (signalName) {
  if (stopping) return
  stopping = true
  clearInterval(statusTimer)
  stop.abort()
  // A node that cannot stop within this time is stuck: say so in the exit code.
  const deadline = setTimeout(() => {
    process.stderr.write(`stop after ${signalName} timed out\n`)
    process.exit(1)
  }, 10_000)
  await node.stop()
  clearTimeout(deadline)
  process.exit(0)
}
process.on('SIGTERM', () => { void shutdown('SIGTERM') })
process.on('SIGINT', () => { void shutdown('SIGINT') })
