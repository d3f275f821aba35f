// Builds one js-libp2p node of the example network. Everything that decides
// how the node is configured lives here, so node.mjs only parses flags and
// drives the node.

import { noise } from '@chainsafe/libp2p-noise'
import { yamux } from '@chainsafe/libp2p-yamux'
import { bootstrap } from '@libp2p/bootstrap'
import { generateKeyPair, generateKeyPairFromSeed } from '@libp2p/crypto/keys'
import { gossipsub } from '@libp2p/gossipsub'
import { identify } from '@libp2p/identify'
import { kadDHT, removePublicAddressesMapper } from '@libp2p/kad-dht'
import { ping } from '@libp2p/ping'
import { tcp } from '@libp2p/tcp'
import { createLibp2p } from 'libp2p'
import { createHash } from 'node:crypto'

// The LAN flavour of the DHT: its own protocol id keeps these nodes out of
// any public DHT, and the mapper keeps loopback addresses (the default one
// drops private addresses, which would leave every peer here unreachable).
export const DHT_PROTOCOL = '/ipfs/lan/kad/1.0.0'

// Records that the nodes put and get: /peerscope-example/<peer id>.
export const RECORD_NAMESPACE = 'peerscope-example'

const recordValidator = async (key, value) => {
  const record = JSON.parse(new TextDecoder().decode(value))
  if (typeof record.seq !== 'number' || typeof record.peer !== 'string') {
    throw new Error('not a peerscope-example record')
  }
  if (!new TextDecoder().decode(key).endsWith(`/${record.peer}`)) {
    throw new Error('record key and peer do not match')
  }
}

// Several peers may hold different generations of a record: take the newest.
const recordSelector = (key, records) => {
  let best = 0
  let bestSeq = -1
  records.forEach((value, i) => {
    const seq = JSON.parse(new TextDecoder().decode(value)).seq
    if (seq > bestSeq) {
      best = i
      bestSeq = seq
    }
  })
  return best
}

// A seed gives the node the same peer id every time it starts, so a node that
// the network restarts comes back as the same peer.
async function privateKeyFor (seed) {
  if (seed == null) {
    return generateKeyPair('Ed25519')
  }
  const bytes = createHash('sha256').update(`peerscope-example-node-${seed}`).digest()
  return generateKeyPairFromSeed('Ed25519', new Uint8Array(bytes))
}

/**
 * Creates a node without starting it.
 *
 * @param {object} opts
 * @param {string} opts.listen - multiaddr to listen on
 * @param {string[]} opts.bootstrap - multiaddrs with /p2p/ of peers to dial at start
 * @param {string|undefined} opts.seed - makes the peer id deterministic
 * @param {Function|undefined} opts.metrics - a libp2p metrics factory
 *   `(components) => Metrics`, or undefined for none
 */
export async function createNode ({ listen, bootstrap: bootstrapList, seed, metrics }) {
  const options = {
    // The caller starts the node, so that it can listen to its events first.
    start: false,
    privateKey: await privateKeyFor(seed),
    addresses: { listen: [listen] },
    transports: [tcp()],
    connectionEncrypters: [noise()],
    streamMuxers: [yamux()],
    connectionManager: {
      // Every peer here dials from 127.0.0.1, and the default limit of 5 new
      // connections a second per host makes a starting network refuse some.
      inboundConnectionThreshold: 1000
    },
    peerDiscovery: bootstrapList.length > 0
      ? [bootstrap({ list: bootstrapList, timeout: 0 })]
      : [],
    services: {
      identify: identify(),
      ping: ping(),
      dht: kadDHT({
        protocol: DHT_PROTOCOL,
        clientMode: false,
        peerInfoMapper: removePublicAddressesMapper,
        validators: { [RECORD_NAMESPACE]: recordValidator },
        selectors: { [RECORD_NAMESPACE]: recordSelector }
      }),
      pubsub: gossipsub({
        floodPublish: false,
        // The first publications happen before any peer has subscribed.
        allowPublishToZeroTopicPeers: true,
        emitSelf: false,
        // All peers share 127.0.0.1; past 10 peers from one IP the score
        // penalty for colocated peers would empty every mesh.
        scoreParams: { IPColocationFactorWhitelist: new Set(['127.0.0.1']) }
      })
    }
  }

  // ---- peerscope: the metrics component goes here, and only here. ----
  if (metrics != null) {
    options.metrics = metrics
  }

  return createLibp2p(options)
}
