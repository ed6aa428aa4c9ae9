/**
 * A `Store` on top of a byte log: an opaque snapshot plus opaque records, appended durably in order and
 * replaced by compaction. DurableLog (files, Node), the Electron preload's store bridge and an IndexedDB log
 * all have this shape; this adapter adds the record codec, metadata folding and damage reporting once.
 */

import type { EngineName } from './engine-name.ts';
import { errorMessage } from './error-message.ts';
import type {
  EngineUpdate,
  ReplicaMetadata,
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
}

export interface ByteLog {
  /** Read everything (called once per load, before any append). */
  open(): Promise<ByteLogContents>;
  /** Resolves once the record is durable; records become durable in append order. */
  append(record: Uint8Array): Promise<void>;
  /** Atomically replace the snapshot and every record with `snapshot`. */
  compact(snapshot: Uint8Array): Promise<void>;
  close(): Promise<void>;
}

export class LogStore implements Store {
  private opened = false;

  constructor(private readonly byteLog: ByteLog) {}

  async load(): Promise<StoredState> {
    const contents = await this.byteLog.open();
    this.opened = true;
    const damage = (contents.damage ?? []).map(describeDamage);
    let snapshots: Partial<Record<EngineName, Uint8Array>> = {};
    let metadata: ReplicaMetadata | undefined;
    if (contents.snapshot !== undefined) {
      try {
        const snapshot = decodeStoreSnapshot(contents.snapshot);
        snapshots = { ...snapshot.engines };
        metadata = snapshot.metadata;
      } catch (error) {
        damage.push(`snapshot unreadable: ${errorMessage(error)}`);
      }
    }
    const updates: EngineUpdate[] = [];
    contents.records.forEach((bytes, index) => {
      let record: StoreRecord;
      try {
        record = decodeStoreRecord(bytes);
      } catch (error) {
        damage.push(`record ${index} unreadable: ${errorMessage(error)}`);
        return;
      }
      if (record.kind === 'update') updates.push({ engine: record.engine, update: record.update });
      else metadata = record.metadata;
    });
    return { snapshots, updates, metadata, damage };
  }

  append(record: StoreRecord): Promise<void> {
    if (!this.opened) return Promise.reject(new StoreError('load the store before appending to it'));
    let bytes: Uint8Array;
    try {
      bytes = encodeStoreRecord(record);
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

  close(): Promise<void> {
    this.opened = false;
    return this.byteLog.close();
  }
}

/** A byte log in memory: "durable" as soon as the call returns, for tests and throwaway replicas. */
export class MemoryByteLog implements ByteLog {
  private snapshot: Uint8Array | undefined;
  private records: Uint8Array[] = [];

  async open(): Promise<ByteLogContents> {
    return { snapshot: this.snapshot?.slice(), records: this.records.map((r) => r.slice()) };
  }

  async append(record: Uint8Array): Promise<void> {
    this.records.push(record.slice());
  }

  async compact(snapshot: Uint8Array): Promise<void> {
    this.snapshot = snapshot.slice();
    this.records = [];
  }

  async close(): Promise<void> {}

  /** Records appended since the last compaction (for tests and diagnostics). */
  recordCount(): number {
    return this.records.length;
  }

  /** Total bytes held (snapshot + records). */
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
