/**
 * A `Store` on top of a byte log: an opaque snapshot plus opaque records, appended durably in order and
 * replaced by compaction. DurableLog (files, Node), the Electron preload's store bridge and an IndexedDB log
 * all have this shape; this adapter adds the record codec, metadata folding and damage reporting once.
 */

import { errorMessage } from '@converge/protocol';
import { DURABLE } from './durable.ts';
import type { EngineName } from './engine-name.ts';
import type {
  DeferredIntent,
  EngineUpdate,
  Store,
  StoredState,
  StoreRecord,
  StoreSnapshot,
} from './store.ts';
import {
  decodeStoreRecord,
  decodeStoreSnapshot,
  encodeStoreRecord,
  encodeStoreSnapshot,
} from './store-codec.ts';

export class StoreError extends Error {
  override readonly name = 'StoreError';
}

/** What damage was found where, as far as the log knows. */
export interface DamageReport {
  readonly reason: string;
  readonly file?: string;
  /** Byte offset where intact data ends. */
  readonly offset?: number;
  /** Where the damaged file was moved so the evidence survives. */
  readonly preservedAs?: string;
}

/** Damage a byte log found while opening (a torn tail, a bad checksum...). */
export type ByteLogDamage = string | DamageReport;

export interface ByteLogContents {
  readonly snapshot?: Uint8Array | undefined;
  readonly records: readonly Uint8Array[];
  readonly damage?: readonly ByteLogDamage[];
  /**
   * The same data one compaction earlier: the snapshot before `snapshot`, and every record since it (those
   * `snapshot` folded in, then `records`). Used when `snapshot` turns out unreadable. Logs that verify and
   * fall back at their own level (DurableLog) leave it out.
   */
  readonly previous?: PreviousContents;
  /**
   * Instead of `previous`: reads it when it is needed (only when `snapshot` turns out unreadable), so a
   * healthy open reads one snapshot, not two. Called at most once, before `open` resolves to the caller
   * (nothing is appended or compacted in between).
   */
  readonly readPrevious?: () => Promise<PreviousContents | undefined>;
}

export interface PreviousContents {
  readonly snapshot?: Uint8Array | undefined;
  readonly records: readonly Uint8Array[];
  /** Damage found reading it on demand (`readPrevious`). */
  readonly damage?: readonly ByteLogDamage[];
}

export interface ByteLog {
  /** Read everything (called once per load, before any append). */
  open(): Promise<ByteLogContents>;
  /**
   * Resolves once the record is durable; records become durable in append order. A log whose record is
   * durable when the call returns may return `DURABLE` (durable.ts). The log may keep
   * `record` as it is (until written, or for good): the caller hands it over and never changes it again
   * (LogStore encodes a fresh buffer per record), so no log needs a copy of its own.
   */
  append(record: Uint8Array): Promise<void>;
  /** Atomically replace the snapshot and every record with `snapshot`. */
  compact(snapshot: Uint8Array): Promise<void>;
  /** Start writing queued records now (the page is going away); logs that queue nothing leave it out. */
  flush?(): void;
  /**
   * The log takes a record that is a view of a larger buffer (it keeps it, or copies or writes only the
   * view's bytes), so LogStore may encode records side by side into shared slabs: one allocation for many
   * records instead of one each. Logs that hand records to a structured clone (IndexedDB, IPC), which
   * would carry the whole slab, leave it out and get a buffer of the record's exact size.
   */
  readonly takesViews?: boolean;
  close(): Promise<void>;
}

/** Bytes of one slab of records (a record larger than a sixteenth of it gets a buffer of its own). */
const SLAB_BYTES = 64 * 1024;

/**
 * Records encoded side by side into slabs: a typed array larger than V8 keeps on its heap (64 bytes) costs
 * an allocation outside it and a share of the garbage collector's time, which for a keystroke's record
 * was as much as the converge engine's own work. A slab lives as long as one record in it does.
 */
class RecordSlabs {
  private slab = new Uint8Array(0);
  private used = 0;

  readonly take = (size: number): Uint8Array => {
    if (size > SLAB_BYTES / 16) return new Uint8Array(size);
    if (this.used + size > this.slab.length) {
      this.slab = new Uint8Array(SLAB_BYTES);
      this.used = 0;
    }
    // The constructor, not `subarray`: no species lookup per record.
    const view = new Uint8Array(this.slab.buffer, this.used, size);
    this.used += size;
    return view;
  };
}

export class LogStore implements Store {
  private opened = false;
  private readonly slabs: RecordSlabs | undefined;

  constructor(private readonly byteLog: ByteLog) {
    this.slabs = byteLog.takesViews === true ? new RecordSlabs() : undefined;
  }

  async load(): Promise<StoredState> {
    const contents = await this.byteLog.open();
    this.opened = true;
    const damage = (contents.damage ?? []).map(describeDamage);
    let base = readSnapshot(contents.snapshot);
    let records = contents.records;
    if (base.problem !== undefined) {
      const kept = contents.previous ?? (await readPrevious(contents, damage));
      const previous = kept === undefined ? undefined : readSnapshot(kept.snapshot);
      if (kept !== undefined && previous !== undefined && previous.problem === undefined) {
        damage.push(
          `snapshot unreadable (${base.problem}); recovered from the previous snapshot and the ${kept.records.length} records after it`,
        );
        base = previous;
        records = kept.records;
      } else {
        damage.push(`snapshot unreadable: ${base.problem}`);
      }
    }
    let metadata = base.snapshot?.metadata;
    const updates: EngineUpdate[] = [];
    // Deferrals by id, with the engines that still need each (a realised record settles one engine).
    const deferrals = new Map<string, { intent: Uint8Array; engines: EngineName[] }>();
    records.forEach((bytes, index) => {
      let record: StoreRecord;
      try {
        record = decodeStoreRecord(bytes);
      } catch (error) {
        damage.push(`record ${index} unreadable: ${errorMessage(error)}`);
        return;
      }
      if (record.kind === 'update') updates.push({ engine: record.engine, update: record.update });
      else if (record.kind === 'intent') {
        updates.push(...record.updates);
        const { deferred } = record;
        if (deferred !== undefined)
          deferrals.set(deferred.id, { intent: deferred.intent, engines: [...deferred.engines] });
      } else if (record.kind === 'realised') {
        for (const update of record.updates) updates.push({ engine: record.engine, update });
        const deferral = deferrals.get(record.id);
        if (deferral !== undefined) deferral.engines = deferral.engines.filter((e) => e !== record.engine);
      } else metadata = record.metadata;
    });
    const deferred: DeferredIntent[] = [];
    for (const [id, { intent, engines }] of deferrals)
      if (engines.length > 0) deferred.push({ id, engines, intent });
    return {
      snapshots: { ...base.snapshot?.engines },
      updates,
      metadata,
      damage,
      ...(deferred.length === 0 ? {} : { deferred }),
    };
  }

  append(record: StoreRecord): Promise<void> {
    if (!this.opened) return Promise.reject(new StoreError('load the store before appending to it'));
    let bytes: Uint8Array;
    try {
      bytes = encodeStoreRecord(record, this.slabs?.take);
    } catch (error) {
      return Promise.reject(new StoreError(`cannot encode record: ${errorMessage(error)}`));
    }
    return this.byteLog.append(bytes);
  }

  compact(snapshot: StoreSnapshot): Promise<void> {
    if (!this.opened) return Promise.reject(new StoreError('load the store before compacting it'));
    let bytes: Uint8Array;
    try {
      bytes = encodeStoreSnapshot(snapshot);
    } catch (error) {
      return Promise.reject(new StoreError(`cannot encode snapshot: ${errorMessage(error)}`));
    }
    return this.byteLog.compact(bytes);
  }

  flush(): void {
    this.byteLog.flush?.();
  }

  close(): Promise<void> {
    this.opened = false;
    return this.byteLog.close();
  }
}

/** The previous snapshot read on demand; a failed read is damage (the caller reports the current as lost). */
async function readPrevious(
  contents: ByteLogContents,
  damage: string[],
): Promise<PreviousContents | undefined> {
  try {
    const previous = await contents.readPrevious?.();
    for (const found of previous?.damage ?? []) damage.push(describeDamage(found));
    return previous;
  } catch (error) {
    damage.push(`previous snapshot unreadable: ${errorMessage(error)}`);
    return undefined;
  }
}

/** A snapshot decoded, or why it could not be (no bytes: no snapshot, no problem). */
function readSnapshot(bytes: Uint8Array | undefined): { snapshot?: StoreSnapshot; problem?: string } {
  if (bytes === undefined) return {};
  try {
    return { snapshot: decodeStoreSnapshot(bytes) };
  } catch (error) {
    return { problem: errorMessage(error) };
  }
}

/**
 * A byte log in memory: "durable" as soon as the call returns, for tests and throwaway replicas. Like the
 * durable logs it keeps the previous snapshot and the records since it, one compaction longer.
 */
export class MemoryByteLog implements ByteLog {
  /** It keeps each record as handed over; `open` returns copies. */
  readonly takesViews = true;
  private snapshot: Uint8Array | undefined;
  private records: Uint8Array[] = [];
  private previous: { snapshot: Uint8Array | undefined; records: Uint8Array[] } | undefined;

  async open(): Promise<ByteLogContents> {
    const copy = (records: readonly Uint8Array[]): Uint8Array[] => records.map((r) => r.slice());
    return {
      snapshot: this.snapshot?.slice(),
      records: copy(this.records),
      ...(this.previous === undefined
        ? {}
        : {
            previous: {
              snapshot: this.previous.snapshot?.slice(),
              records: [...copy(this.previous.records), ...copy(this.records)],
            },
          }),
    };
  }

  /** Keeps the record it is handed (see ByteLog.append: no copy per record); durable at once. */
  append(record: Uint8Array): Promise<void> {
    if (!(record instanceof Uint8Array))
      return Promise.reject(new StoreError('a record must be a Uint8Array'));
    this.records.push(record);
    return DURABLE;
  }

  async compact(snapshot: Uint8Array): Promise<void> {
    this.previous = { snapshot: this.snapshot, records: this.records };
    this.snapshot = snapshot.slice();
    this.records = [];
  }

  async close(): Promise<void> {}

  /** Records appended since the last compaction (for tests and diagnostics). */
  recordCount(): number {
    return this.records.length;
  }

  /** Total bytes held (snapshot + records since it). */
  byteLength(): number {
    return (this.snapshot?.length ?? 0) + this.records.reduce((n, r) => n + r.length, 0);
  }
}

/** One line for a log's damage, as the app shows and logs it: what, where, and where the evidence went. */
export function describeDamage(damage: ByteLogDamage): string {
  if (typeof damage === 'string') return damage;
  const file = damage.file === undefined ? '' : ` in ${damage.file}`;
  const offset = damage.offset === undefined ? '' : ` at byte ${damage.offset}`;
  const kept = damage.preservedAs === undefined ? '' : ` (damaged file kept as ${damage.preservedAs})`;
  return `${damage.reason}${file}${offset}${kept}`;
}
