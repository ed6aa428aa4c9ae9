// The relay's storage plugin: a replica per room with a durable file store (depends on @converge/replica).
export {
  directoryOfRoom,
  fileStores,
  type PeerStores,
  roomOfDirectory,
  StoragePeers,
  storagePeers,
  storagePeersOn,
} from './storage-peers.ts';
