/**
 * The cluster's Redis calls, typed: leases, fenced log writes and reads, the node registry. One ioredis
 * connection per node; commands on it are answered in order, so a log's appends land in the order made.
 */
import { crc32 } from 'node:zlib';
import { Redis, type RedisOptions } from 'ioredis';
import {
  ACQUIRE,
  FENCED_APPEND,
  FENCED_COMPACT,
  FENCED_ERROR_PREFIX,
  FENCED_SET,
  LEASED_ROOMS_KEY,
  type LeaseValue,
  LIST_LEASES,
  NODES_KEY,
  nodeAliveKey,
  parseLeaseValue,
  RELEASE,
  RENEW,
  roomKeys,
} from './redis-scripts.ts';

/** A write refused because its fencing token is not the room's live lease any more. */
export class FencedOutError extends Error {
  override readonly name = 'FencedOutError';
}

export type AcquireResult =
  /** `controls`: the room's saved cuts and chaos (JSON) as the lease was taken, if any. */
  | { readonly taken: true; readonly lease: LeaseValue; readonly controls: string | undefined }
  | { readonly taken: false; readonly holder: LeaseValue };

/** A named log of a room as stored: snapshot, records since, the same one compaction earlier, damage. */
export interface StoredLog {
  readonly snapshot: Uint8Array | undefined;
  readonly records: Uint8Array[];
  readonly previous:
    | { readonly snapshot: Uint8Array | undefined; readonly records: Uint8Array[] }
    | undefined;
  readonly damage: string[];
}

type ScriptCall = (...args: (string | number | Buffer)[]) => Promise<unknown>;

const SCRIPTS = {
  convergeAcquire: { numberOfKeys: 4, lua: ACQUIRE },
  convergeSet: { numberOfKeys: 2, lua: FENCED_SET },
  convergeRenew: { numberOfKeys: 1, lua: RENEW },
  convergeRelease: { numberOfKeys: 2, lua: RELEASE },
  convergeAppend: { numberOfKeys: 2, lua: FENCED_APPEND },
  convergeCompact: { numberOfKeys: 5, lua: FENCED_COMPACT },
  convergeLeases: { numberOfKeys: 1, lua: LIST_LEASES },
} as const;

export class ClusterRedis {
  private readonly scripts: Record<keyof typeof SCRIPTS, ScriptCall>;

  constructor(readonly redis: Redis) {
    for (const [name, definition] of Object.entries(SCRIPTS)) redis.defineCommand(name, definition);
    // defineCommand adds the methods at run time; ioredis cannot type them.
    const dynamic = redis as unknown as Record<string, ScriptCall>;
    this.scripts = Object.fromEntries(
      Object.keys(SCRIPTS).map((name) => [
        name,
        (...args) => (dynamic[name] as ScriptCall).apply(redis, args),
      ]),
    ) as Record<keyof typeof SCRIPTS, ScriptCall>;
  }

  /** Connect to `url` (redis://host:port[/db]); calls fail after `commandTimeoutMs` instead of queueing forever. */
  static connect(url: string, commandTimeoutMs: number, options: RedisOptions = {}): ClusterRedis {
    return new ClusterRedis(
      new Redis(url, {
        commandTimeout: commandTimeoutMs,
        maxRetriesPerRequest: 1,
        lazyConnect: true,
        retryStrategy: (times) => Math.min(50 * times, 500),
        ...options,
      }),
    );
  }

  async connect(): Promise<void> {
    if (this.redis.status === 'wait') await this.redis.connect();
  }

  async acquire(room: string, node: string, url: string, ttlMs: number): Promise<AcquireResult> {
    const keys = roomKeys(room);
    const [taken, value, controls] = (await this.scripts.convergeAcquire(
      keys.lease,
      keys.fence,
      LEASED_ROOMS_KEY,
      keys.controls,
      node,
      url,
      ttlMs,
      room,
    )) as [number, string, string | undefined];
    const lease = parseLeaseValue(value);
    return taken === 1
      ? { taken: true, lease, controls: controls === '' || controls === undefined ? undefined : controls }
      : { taken: false, holder: lease };
  }

  /** Save the room's cuts and chaos (JSON; '' when none), if `token` is the live lease's. */
  async saveControls(room: string, node: string, token: number, json: string): Promise<void> {
    const keys = roomKeys(room);
    await fenced(() => this.scripts.convergeSet(keys.lease, keys.controls, node, token, json));
  }

  async renew(room: string, node: string, token: number, ttlMs: number): Promise<boolean> {
    return (await this.scripts.convergeRenew(roomKeys(room).lease, node, token, ttlMs)) === 1;
  }

  async release(room: string, node: string, token: number): Promise<boolean> {
    return (
      (await this.scripts.convergeRelease(roomKeys(room).lease, LEASED_ROOMS_KEY, node, token, room)) === 1
    );
  }

  /** Who holds the room's lease now, if anyone. */
  async holder(room: string): Promise<LeaseValue | undefined> {
    const value = await this.redis.get(roomKeys(room).lease);
    return value === null ? undefined : parseLeaseValue(value);
  }

  /** Append a record to the room's log `name`, if `token` is the live lease's; resolves once Redis has it. */
  async append(room: string, name: string, node: string, token: number, record: Uint8Array): Promise<void> {
    const keys = roomKeys(room);
    const bytes = Buffer.from(record.buffer, record.byteOffset, record.byteLength);
    await fenced(() =>
      this.scripts.convergeAppend(keys.lease, keys.log(name).records, node, token, crc32(bytes), bytes),
    );
  }

  /** Replace the log's snapshot and records with `snapshot`, keeping the previous ones; fenced like append. */
  async compact(
    room: string,
    name: string,
    node: string,
    token: number,
    snapshot: Uint8Array,
  ): Promise<void> {
    const keys = roomKeys(room);
    const log = keys.log(name);
    const bytes = Buffer.from(snapshot.buffer, snapshot.byteOffset, snapshot.byteLength);
    await fenced(() =>
      this.scripts.convergeCompact(
        keys.lease,
        log.records,
        log.recordsPrev,
        log.snapshot,
        log.snapshotPrev,
        node,
        token,
        crc32(bytes),
        bytes,
      ),
    );
  }

  /** Everything the room's log `name` holds, checksums verified (what fails is skipped and described). */
  async readLog(room: string, name: string): Promise<StoredLog> {
    const log = roomKeys(room).log(name);
    const replies = await this.redis
      .multi()
      .hgetallBuffer(log.snapshot)
      .xrangeBuffer(log.records, '-', '+')
      .hgetallBuffer(log.snapshotPrev)
      .xrangeBuffer(log.recordsPrev, '-', '+')
      .exec();
    if (replies === null) throw new Error('the read of the log was aborted');
    for (const [error] of replies) if (error !== null) throw error;
    const [snapshotHash, entries, previousHash, previousEntries] = replies.map(([, value]) => value) as [
      Record<string, Buffer>,
      [Buffer, Buffer[]][],
      Record<string, Buffer>,
      [Buffer, Buffer[]][],
    ];
    const damage: string[] = [];
    const compacted = Object.keys(snapshotHash).length > 0;
    const snapshot = readSnapshot(snapshotHash, log.snapshot, damage);
    const records = readRecords(entries, log.records, damage);
    if (!compacted) return { snapshot, records, previous: undefined, damage };
    const previous = {
      snapshot: readSnapshot(previousHash, log.snapshotPrev, damage),
      records: [...readRecords(previousEntries, log.recordsPrev, damage), ...records],
    };
    if (snapshot === undefined) {
      // The snapshot is damaged: the one before it and every record since stand in for it.
      damage.push(`${log.snapshot}: recovered from the previous snapshot and the records after it`);
      return { ...previous, previous: undefined, damage };
    }
    return { snapshot, records, previous, damage };
  }

  /** Announce this node (its relay URL) for `ttlMs`; repeated while it runs. */
  async heartbeat(node: string, url: string, ttlMs: number): Promise<void> {
    await this.redis.multi().hset(NODES_KEY, node, url).set(nodeAliveKey(node), url, 'PX', ttlMs).exec();
  }

  async leaveCluster(node: string): Promise<void> {
    await this.redis.multi().hdel(NODES_KEY, node).del(nodeAliveKey(node)).exec();
  }

  /** Nodes whose heartbeat is live, with their URLs. */
  async liveNodes(): Promise<{ id: string; url: string }[]> {
    const known = await this.redis.hgetall(NODES_KEY);
    const ids = Object.keys(known).sort();
    if (ids.length === 0) return [];
    const alive = await this.redis.mget(ids.map(nodeAliveKey));
    return ids.flatMap((id, i) => (alive[i] === null ? [] : [{ id, url: alive[i] as string }]));
  }

  /** Every live lease. */
  async leases(): Promise<{ room: string; lease: LeaseValue; ttlMs: number }[]> {
    const flat = (await this.scripts.convergeLeases(LEASED_ROOMS_KEY)) as (string | number)[];
    const out: { room: string; lease: LeaseValue; ttlMs: number }[] = [];
    for (let i = 0; i + 2 < flat.length; i += 3) {
      out.push({
        room: String(flat[i]),
        lease: parseLeaseValue(String(flat[i + 1])),
        ttlMs: Number(flat[i + 2]),
      });
    }
    return out.sort((a, b) => (a.room < b.room ? -1 : a.room > b.room ? 1 : 0));
  }

  async quit(): Promise<void> {
    try {
      await this.redis.quit();
    } catch {
      this.redis.disconnect();
    }
  }
}

async function fenced(write: () => Promise<unknown>): Promise<void> {
  try {
    await write();
  } catch (error) {
    if (error instanceof Error && error.message.startsWith(FENCED_ERROR_PREFIX)) {
      throw new FencedOutError(error.message);
    }
    throw error;
  }
}

function checked(fields: Record<string, Buffer>, where: string, damage: string[]): Uint8Array | undefined {
  const bytes = fields.r;
  const checksum = fields.c;
  if (bytes === undefined || checksum === undefined) {
    damage.push(`${where}: entry without a record or checksum, skipped`);
    return undefined;
  }
  if (crc32(bytes) !== Number(checksum.toString('latin1'))) {
    damage.push(`${where}: checksum mismatch, skipped`);
    return undefined;
  }
  return new Uint8Array(bytes);
}

function readSnapshot(hash: Record<string, Buffer>, where: string, damage: string[]): Uint8Array | undefined {
  if (Object.keys(hash).length === 0) return undefined;
  return checked(hash, where, damage);
}

function readRecords(entries: [Buffer, Buffer[]][], where: string, damage: string[]): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const [id, flat] of entries) {
    const fields: Record<string, Buffer> = {};
    for (let i = 0; i + 1 < flat.length; i += 2)
      fields[(flat[i] as Buffer).toString('latin1')] = flat[i + 1] as Buffer;
    const record = checked(fields, `${where} entry ${id.toString('latin1')}`, damage);
    if (record !== undefined) out.push(record);
  }
  return out;
}
