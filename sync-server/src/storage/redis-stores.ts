/**
 * The storage peers' stores in a cluster: a fenced log in Redis per room, written under the room's lease
 * (./fenced-log.ts), so whichever node owns the room next resumes it.
 */
import { LogStore, type Store } from '@converge/replica';
import type { ClusterRedis } from '../cluster/cluster-redis.ts';
import { roomKeys } from '../cluster/redis-scripts.ts';
import type { RoomLease } from '../room-ownership.ts';
import { FencedLog } from './fenced-log.ts';
import type { PeerStore } from './peer-thread.ts';
import type { PeerStores } from './storage-peers.ts';

/** The name of the storage peer's log in each room. */
export const STORAGE_LOG = 'storage';

/** A replica store on the room's fenced log `name` (the storage peer's, or a room plugin's own). */
export function fencedStore(redis: ClusterRedis, lease: RoomLease, name: string): Store {
  return new LogStore(new FencedLog(redis, lease, name));
}

/** Where the storage peers keep rooms in a cluster: Redis, each store bound to the lease it was opened under. */
export function redisStores(redis: ClusterRedis, location: string): PeerStores {
  const leaseOf = new WeakMap<PeerStore, RoomLease>();
  return {
    location,
    async prepare() {},
    open(room, host) {
      const lease = host.lease(room);
      if (lease === undefined) return undefined;
      // The log stays on the relay's thread with the lease it writes under; the storage peer's worker calls it.
      const store: PeerStore = { kind: 'relay', log: new FencedLog(redis, lease, STORAGE_LOG) };
      leaseOf.set(store, lease);
      return store;
    },
    isStale: (room, store, host) => {
      const lease = leaseOf.get(store);
      return lease === undefined || host.lease(room) !== lease;
    },
    async isStored(room) {
      const keys = roomKeys(room).log(STORAGE_LOG);
      return (await redis.redis.exists(keys.records, keys.snapshot)) > 0;
    },
  };
}
