/**
 * A room's checkout state in the relay cluster's Redis (issue 24): the authority store and the ledgers
 * of the simulated payment and shipment services, each a fenced log of the room (the storage peer's
 * kind: a stream of checksummed records plus snapshots, written with appendfsync always). Every append
 * and compaction carries the owner's room token and runs in a Lua script that refuses it unless that
 * token is the room's live lease, so an ex-owner (paused, partitioned) writes nothing once its lease has
 * passed, even before anyone took the room over. Commands are decided on the owner (the only writer
 * while its lease holds) and count once Redis has them; a new owner replays the logs and resumes.
 */
import {
  type AuthorityEntry,
  type AuthoritySnapshot,
  type AuthorityStore,
  type CommandKind,
  type CommandOf,
  type CommandResults,
  LocalAuthorityStore,
  SimulatedService,
  type StoreReply,
} from '@converge/checkout';
import type { Timers } from '@converge/protocol';
import { describeDamage } from '@converge/replica';
import { type ClusterRedis, FencedOutError } from '../cluster/cluster-redis.ts';
import { KEY_PREFIX, roomKeys } from '../cluster/redis-scripts.ts';
import type { RoomLease } from '../room-ownership.ts';
import { FencedLog } from '../storage/fenced-log.ts';
import { OwnerLeases, TOKENS_PER_OWNERSHIP } from './owner-leases.ts';
import type { AuthorityParts } from './room-authorities.ts';

/** The room's checkout logs in Redis, by part. */
export const CHECKOUT_LOGS = {
  store: 'checkout.authority',
  payment: 'checkout.payment',
  shipment: 'checkout.shipment',
} as const;

/**
 * The store as the holders see it: a write Redis refused for its token answers `fenced` (the holder
 * then retires and says why), with the fence the room's lease tokens have reached.
 */
class OwnerAuthorityStore implements AuthorityStore {
  constructor(
    private readonly inner: LocalAuthorityStore,
    private readonly fence: () => Promise<number>,
  ) {}

  async execute<K extends CommandKind>(
    entry: AuthorityEntry<CommandOf<K>>,
  ): Promise<StoreReply<CommandResults[K]>> {
    try {
      return await this.inner.execute(entry);
    } catch (error) {
      if (!(error instanceof FencedOutError)) throw error;
      return { ok: false, kind: 'fenced', fence: Math.max(entry.token + 1, await this.fence()) };
    }
  }

  snapshot(): Promise<AuthoritySnapshot> {
    return this.inner.snapshot();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}

/**
 * Open the room's checkout on this node under `lease` (this node owns the room): what the logs hold,
 * replayed, with holders whose tokens derive from the lease's.
 */
export async function openRedisCheckout(
  redis: ClusterRedis,
  lease: RoomLease,
  clock: Timers,
): Promise<AuthorityParts> {
  const logs = {
    store: new FencedLog(redis, lease, CHECKOUT_LOGS.store),
    payment: new FencedLog(redis, lease, CHECKOUT_LOGS.payment),
    shipment: new FencedLog(redis, lease, CHECKOUT_LOGS.shipment),
  };
  const [store, payment, shipment] = await Promise.all([
    logs.store.open(),
    logs.payment.open(),
    logs.shipment.open(),
  ]);
  const optionsOf = (log: FencedLog, contents: typeof store) => ({
    restored: { snapshot: contents.snapshot, records: contents.records },
    persistence: log,
  });
  const local = new LocalAuthorityStore(optionsOf(logs.store, store));
  const parts = {
    store: new OwnerAuthorityStore(local, async () => {
      const fence = Number((await redis.redis.get(roomKeys(lease.room).fence)) ?? 0);
      return fence * TOKENS_PER_OWNERSHIP;
    }),
    payment: new SimulatedService('payment', clock, optionsOf(logs.payment, payment)),
    shipment: new SimulatedService('shipment', clock, optionsOf(logs.shipment, shipment)),
  };
  return {
    ...parts,
    leases: new OwnerLeases(lease, clock, (await local.snapshot()).fence),
    damage: [
      ...[store, payment, shipment].flatMap((contents) => (contents.damage ?? []).map(describeDamage)),
      ...local.damage,
      ...parts.payment.damage,
      ...parts.shipment.damage,
    ],
    close: async () => {
      await parts.store.close();
      await parts.payment.close();
      await parts.shipment.close();
    },
  };
}

/** Rooms whose checkout has sagas under way (a hint kept by their owners; the logs are the truth). */
export const OPEN_SAGAS_KEY = `${KEY_PREFIX}:checkout:open-sagas`;

/** The rooms with open sagas, as a set in Redis that every node scans for rooms nobody resumes. */
export function openSagaRooms(redis: ClusterRedis) {
  return {
    list: (): Promise<string[]> => redis.redis.smembers(OPEN_SAGAS_KEY),
    async mark(room: string, open: boolean): Promise<void> {
      if (open) await redis.redis.sadd(OPEN_SAGAS_KEY, room);
      else await redis.redis.srem(OPEN_SAGAS_KEY, room);
    },
  };
}
