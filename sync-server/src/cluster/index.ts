/**
 * A relay node in a cluster coordinated through Redis: rooms leased to nodes with fencing tokens
 * (./redis-ownership.ts), and the storage peers' logs in Redis, every write fenced by the room's lease
 * (./fenced-log.ts), so whichever node owns a room next resumes it. Compose it in the CLI:
 *
 *   const cluster = redisCluster({ url: 'redis://127.0.0.1:6379', nodeId: 'n1' });
 *   const relay = await createRelay({ port, ownership: cluster.ownership, storage: cluster.storage });
 */
import type { Timers } from '@converge/protocol';
import type { OwnershipPlugin, RoomLease } from '../room-ownership.ts';
import type { StoragePlugin } from '../room-storage.ts';
// The replica-hosting half (stores for the storage peers) lives with the storage plugin.
import { FencedLog } from '../storage/fenced-log.ts';
import { redisStores } from '../storage/redis-stores.ts';
import { storagePeersOn } from '../storage/storage-peers.ts';
import { ClusterRedis } from './cluster-redis.ts';
import { leaseTerms } from './lease-keeper.ts';
import { redisOwnership } from './redis-ownership.ts';

export { FencedLog } from '../storage/fenced-log.ts';
export { fencedStore, STORAGE_LOG } from '../storage/redis-stores.ts';
export { type AcquireResult, ClusterRedis, FencedOutError, type StoredLog } from './cluster-redis.ts';
export {
  type LeaseEnd,
  LeaseKeeper,
  type LeaseTerms,
  leaseTerms,
  type RenewOutcome,
} from './lease-keeper.ts';
export { roomKeys } from './redis-scripts.ts';

export interface RedisClusterOptions {
  /** redis://host:port[/db] */
  readonly url: string;
  /** This node's id in the cluster (unique per running node; letters, digits, `._:@-`). */
  readonly nodeId: string;
  /** How long a room's lease lasts without renewal: how long a dead owner's rooms wait (default 5000 ms). */
  readonly leaseMs?: number;
  readonly clock?: Timers;
  /** The URL other nodes reach this node's relay at (default its own URL; set it when bound to 0.0.0.0). */
  readonly advertiseUrl?: string;
}

export interface RedisCluster {
  readonly redis: ClusterRedis;
  readonly ownership: OwnershipPlugin;
  /** Storage peers whose logs live in Redis, written under the room's lease. */
  readonly storage: StoragePlugin;
  /**
   * A room plugin's own log (an inventory authority, say), in Redis next to the storage peer's: every
   * append and compaction carries `lease.token` and is refused once that lease is not the room's.
   * It is a `ByteLog`: wrap it in a `LogStore` for a replica (`fencedStore` does), or use it directly.
   */
  log(lease: RoomLease, name: string): FencedLog;
}

export function redisCluster(options: RedisClusterOptions): RedisCluster {
  if (!/^[A-Za-z0-9][A-Za-z0-9._:@-]{0,63}$/.test(options.nodeId)) {
    throw new RangeError(`invalid node id ${options.nodeId}`);
  }
  const terms = leaseTerms(options.leaseMs ?? 5000);
  // A renewal answered late still counts if it was sent in time (LeaseKeeper checks); give it half a TTL.
  const redis = ClusterRedis.connect(options.url, Math.max(100, Math.floor(terms.ttlMs / 2)));
  const storage = storagePeersOn(redisStores(redis, options.url));
  return {
    redis,
    ownership: redisOwnership({
      redis,
      nodeId: options.nodeId,
      terms,
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.advertiseUrl ? { advertiseUrl: options.advertiseUrl } : {}),
    }),
    storage,
    log: (lease, name) => new FencedLog(redis, lease, name),
  };
}
