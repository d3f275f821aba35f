// The traffic a running node makes, so that there is something to see:
// gossipsub publications, DHT puts and gets, pings. Each task runs again a
// fixed time after its previous run finished, so slow runs never pile up.

import { RECORD_NAMESPACE, DHT_PROTOCOL } from './create-node.mjs'

const encoder = new TextEncoder()
const decoder = new TextDecoder()

export function recordKey (peerId) {
  return encoder.encode(`/${RECORD_NAMESPACE}/${peerId.toString()}`)
}

function repeat (signal, intervalMs, task) {
  let timer
  const run = async () => {
    if (signal.aborted) return
    try {
      await task()
    } catch (err) {
      if (!signal.aborted) process.stderr.write(`task failed: ${err.message}\n`)
    }
    if (!signal.aborted) timer = setTimeout(run, intervalMs)
  }
  signal.addEventListener('abort', () => clearTimeout(timer), { once: true })
  timer = setTimeout(run, 0)
}

/**
 * Starts the node's periodic traffic; it stops when `signal` aborts.
 * Returns the counters the status line reports (updated in place).
 */
export function startActivity (node, { topics, signal }) {
  const counters = {
    published: 0,
    received: 0,
    pingsOk: 0,
    pingsFailed: 0,
    lastRttMs: {},
    dhtPutsOk: 0,
    dhtPutsFailed: 0,
    dhtGetsOk: 0,
    dhtGetsFailed: 0
  }
  const { pubsub, dht, ping } = node.services

  pubsub.addEventListener('message', () => { counters.received++ })
  for (const topic of topics) pubsub.subscribe(topic)

  let publishSeq = 0
  repeat(signal, 1000, async () => {
    for (const topic of topics) {
      const seq = publishSeq++
      const data = encoder.encode(JSON.stringify({ from: node.peerId.toString(), seq, time: Date.now() }))
      await pubsub.publish(topic, data)
      counters.published++
    }
  })

  repeat(signal, 2000, async () => {
    // Rebuilt each round so that peers which left drop out of the mean.
    const rtts = {}
    await Promise.all(node.getPeers().map(async (peer) => {
      try {
        rtts[peer.toString()] = await ping.ping(peer, { signal: AbortSignal.any([signal, AbortSignal.timeout(5000)]) })
        counters.pingsOk++
      } catch {
        if (!signal.aborted) counters.pingsFailed++
      }
    }))
    counters.lastRttMs = rtts
  })

  let recordSeq = 0
  repeat(signal, 3000, async () => {
    const opSignal = () => AbortSignal.any([signal, AbortSignal.timeout(10_000)])
    const value = encoder.encode(JSON.stringify({ peer: node.peerId.toString(), seq: recordSeq++, time: Date.now() }))
    try {
      for await (const _ of dht.put(recordKey(node.peerId), value, { signal: opSignal() })) { /* drain */ }
      counters.dhtPutsOk++
    } catch {
      if (!signal.aborted) counters.dhtPutsFailed++
    }

    // Look up a peer that speaks our DHT, i.e. one that puts records too.
    const others = await node.peerStore.all({
      filters: [(p) => p.protocols.includes(DHT_PROTOCOL)]
    })
    if (others.length === 0) return
    const target = others[Math.floor(Math.random() * others.length)].id
    try {
      let found = false
      for await (const event of dht.get(recordKey(target), { signal: opSignal() })) {
        if (event.name === 'VALUE') {
          JSON.parse(decoder.decode(event.value))
          found = true
        }
      }
      if (found) counters.dhtGetsOk++
      else counters.dhtGetsFailed++
    } catch {
      if (!signal.aborted) counters.dhtGetsFailed++
    }
  })

  return counters
}

/** One status snapshot of the node, as printed on its `status` lines. */
export function statusOf (node, topics, counters) {
  const { pubsub, dht } = node.services
  const mesh = {}
  for (const topic of topics) mesh[topic] = pubsub.getMeshPeers(topic).length
  const rtts = Object.values(counters.lastRttMs)
  return {
    connections: node.getConnections().length,
    peers: node.getPeers().length,
    mesh,
    // routingTable is a field of the kad-dht class, not of its public interface.
    dhtTable: dht.routingTable?.size ?? null,
    published: counters.published,
    received: counters.received,
    pingsOk: counters.pingsOk,
    pingsFailed: counters.pingsFailed,
    meanRttMs: rtts.length > 0 ? Math.round(rtts.reduce((a, b) => a + b, 0) / rtts.length) : null,
    dhtPutsOk: counters.dhtPutsOk,
    dhtPutsFailed: counters.dhtPutsFailed,
    dhtGetsOk: counters.dhtGetsOk,
    dhtGetsFailed: counters.dhtGetsFailed
  }
}
