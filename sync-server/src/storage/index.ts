// The relay's storage plugin: a replica per room with a durable file store (depends on @converge/replica).
export { directoryOfRoom, roomOfDirectory, StoragePeers, storagePeers } from './storage-peers.ts';
