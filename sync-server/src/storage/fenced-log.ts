/**
 * A room's byte log in Redis, written under the room's lease: every append and compaction carries the
 * lease's fencing token and Redis refuses it (FencedOutError) once that token is not the live lease's.
 * It is a `ByteLog`, so a replica's `LogStore` (the storage peer) or a room plugin's own log runs on it.
 */
import type { ByteLog, ByteLogContents } from '@converge/replica';
import { type ClusterRedis, FencedOutError } from '../cluster/cluster-redis.ts';
import type { RoomLease } from '../room-ownership.ts';

export class FencedLog implements ByteLog {
  private opened = false;

  constructor(
    private readonly redis: ClusterRedis,
    private readonly lease: RoomLease,
    /** The log's name within the room (`storage` for the storage peer); letters, digits, `.-_`. */
    private readonly name: string,
  ) {
    if (!/^[\w.-]{1,64}$/.test(name)) throw new RangeError(`invalid log name ${name}`);
  }

  async open(): Promise<ByteLogContents> {
    const log = await this.redis.readLog(this.lease.room, this.name);
    this.opened = true;
    return {
      snapshot: log.snapshot,
      records: log.records,
      damage: log.damage,
      ...(log.previous ? { previous: log.previous } : {}),
    };
  }

  append(record: Uint8Array): Promise<void> {
    return this.write(() =>
      this.redis.append(this.lease.room, this.name, this.lease.nodeId, this.lease.token, record),
    );
  }

  compact(snapshot: Uint8Array): Promise<void> {
    return this.write(() =>
      this.redis.compact(this.lease.room, this.name, this.lease.nodeId, this.lease.token, snapshot),
    );
  }

  async close(): Promise<void> {
    this.opened = false;
  }

  private async write(call: () => Promise<void>): Promise<void> {
    if (!this.opened) throw new Error(`log ${this.name} of room ${this.lease.room} is not open`);
    // Refused locally when this node already knows it lost the lease; Redis refuses it anyway.
    if (!this.lease.isHeld()) {
      throw new FencedOutError(`the lease of room ${this.lease.room} (token ${this.lease.token}) has passed`);
    }
    await call();
  }
}
