/**
 * The web-mode store: a `LogStore` over IndexedDB. One database per replica with two object stores:
 * `records` (auto-incrementing keys keep append order) and `snapshot` (the current snapshot, the previous
 * one, and for each the key of the first record after it).
 *
 * Appends are acknowledged when their transaction completes with strict durability (flushed, not just
 * queued). Appends made while a transaction is in flight wait and go together in the next one (group
 * commit, as the file log does); `flush` (the page is going away) starts a transaction for them at once
 * and asks it to commit without delay. IndexedDB runs read-write transactions over the same store in the
 * order they were created, so records stay in append order.
 *
 * Compaction happens in one transaction, so it is atomic. It keeps the snapshot it replaces as the previous
 * one, with the records since it: if the current snapshot is ever unreadable, the store rebuilds it from
 * those (see `ByteLogContents.previous`). Opening reads the current snapshot and the records after it only;
 * the previous snapshot and its records are read when the current one turns out unreadable (a window's
 * reopen reads one snapshot, not two). Databases written before (a bare snapshot, records cleared at each
 * compaction) open as they are.
 */
/// <reference lib="dom" />
import { type IDBPDatabase, type IDBPTransaction, openDB } from 'idb';
import {
  type ByteLog,
  type ByteLogContents,
  LogStore,
  type PreviousContents,
  StoreError,
} from '../log-store.ts';

const RECORDS = 'records';
const SNAPSHOT = 'snapshot';
const CURRENT = 'current';
const CURRENT_FROM = 'current-from';
const PREVIOUS = 'previous';
const PREVIOUS_FROM = 'previous-from';

export interface IndexedDbOpenOptions {
  /**
   * Open only a database that exists: one that does not is not created, and `open` (the store's `load`)
   * fails with `StoreAbsentError`. A window's worker reads a guessed store this way before it is told
   * which one to open.
   */
  readonly existingOnly?: boolean;
}

/** An `existingOnly` open found no database. */
export class StoreAbsentError extends StoreError {}

interface Queued {
  readonly record: Uint8Array;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

export class IndexedDbByteLog implements ByteLog {
  private db: IDBPDatabase | undefined;
  /** Where the last `open` read up to (see `writtenSinceOpen`). */
  private readAt: ReadPosition | undefined;
  /** Appends waiting for the transaction in flight to finish. */
  private queue: Queued[] = [];
  /** Transactions started and not yet finished (appends and compactions). */
  private readonly writing = new Set<Promise<unknown>>();
  private appending = false;

  constructor(
    readonly databaseName: string,
    private readonly options: IndexedDbOpenOptions = {},
  ) {}

  async open(): Promise<ByteLogContents> {
    if (this.db !== undefined) throw new StoreError(`IndexedDB store ${this.databaseName} is already open`);
    const { existingOnly = false } = this.options;
    let absent = false;
    try {
      this.db = await openDB(this.databaseName, 1, {
        upgrade(db, oldVersion, _newVersion, transaction) {
          if (existingOnly && oldVersion === 0) {
            // Aborting the creating transaction leaves no database behind.
            absent = true;
            transaction.done.catch(() => {}); // idb's promise of it: the abort is expected
            transaction.abort();
            return;
          }
          db.createObjectStore(RECORDS, { autoIncrement: true });
          db.createObjectStore(SNAPSHOT);
        },
      });
    } catch (error) {
      if (absent) throw new StoreAbsentError(`IndexedDB store ${this.databaseName} does not exist`);
      throw error;
    }
    const db = this.db;
    const tx = db.transaction([RECORDS, SNAPSHOT], 'readonly');
    const [current, position] = await Promise.all([
      tx.objectStore(SNAPSHOT).get(CURRENT) as Promise<unknown>,
      readPosition(tx),
    ]);
    const { currentFrom, previousFrom } = position;
    const damage: string[] = [];
    const from = (value: unknown, what: string): number => {
      if (value === undefined) return 0;
      if (typeof value === 'number' && Number.isSafeInteger(value) && value >= 0) return value;
      damage.push(`IndexedDB ${what} is not a record key (${typeof value}); reading every record`);
      return 0;
    };
    const currentStart = from(currentFrom, 'current snapshot position');
    const previousStart =
      previousFrom === undefined ? undefined : from(previousFrom, 'previous snapshot position');
    const records = await readRecords(tx, IDBKeyRange.lowerBound(currentStart), damage);
    await tx.done;
    this.readAt = position;
    if (previousStart === undefined)
      return { snapshot: bytesOrNothing(current, 'snapshot', damage), records, damage };
    const readPrevious = async (): Promise<PreviousContents> => {
      const earlier = db.transaction([RECORDS, SNAPSHOT], 'readonly');
      const found: string[] = [];
      // Every record since it (the current snapshot's read again: this is the rare path of damage).
      const [previous, since] = await Promise.all([
        earlier.objectStore(SNAPSHOT).get(PREVIOUS) as Promise<unknown>,
        readRecords(earlier, IDBKeyRange.lowerBound(previousStart), found),
        earlier.done,
      ]);
      const snapshot = bytesOrNothing(previous, 'previous snapshot', found);
      return { snapshot, records: since, damage: found };
    };
    return { snapshot: bytesOrNothing(current, 'snapshot', damage), records, damage, readPrevious };
  }

  /**
   * Whether another connection wrote to the database (appended, compacted) since this log's `open` read
   * it: one small read-only transaction (the last record's key and the snapshot's positions). A store read
   * ahead of time checks this before it is used (a reloaded page's read may start before the previous
   * page's worker is gone). Call it after `open` and before this log writes.
   */
  async writtenSinceOpen(): Promise<boolean> {
    const db = this.opened();
    const read = this.readAt;
    if (read === undefined) throw new StoreError(`IndexedDB store ${this.databaseName} was not read`);
    const tx = db.transaction([RECORDS, SNAPSHOT], 'readonly');
    const [now] = await Promise.all([readPosition(tx), tx.done]);
    return (
      now.lastKey !== read.lastKey ||
      now.currentFrom !== read.currentFrom ||
      now.previousFrom !== read.previousFrom
    );
  }

  append(record: Uint8Array): Promise<void> {
    if (this.db === undefined)
      return Promise.reject(new StoreError(`IndexedDB store ${this.databaseName} is not open`));
    return new Promise<void>((resolve, reject) => {
      // Ours as handed over (ByteLog.append): an exact-size buffer, since this log does not take views.
      this.queue.push({ record, resolve, reject });
      if (!this.appending) this.writeQueued();
    });
  }

  /** Start a transaction for the queued appends now, in parallel with the one in flight. */
  flush(): void {
    if (this.db !== undefined && this.queue.length > 0) this.writeQueued();
  }

  async compact(snapshot: Uint8Array): Promise<void> {
    const db = this.opened();
    // Appends made before this call go first: their transaction is created before the compaction's.
    this.flush();
    const tx = db.transaction([RECORDS, SNAPSHOT], 'readwrite', { durability: 'strict' });
    const done = (async () => {
      const snapshots = tx.objectStore(SNAPSHOT);
      const records = tx.objectStore(RECORDS);
      const [current, storedFrom, last] = await Promise.all([
        snapshots.get(CURRENT),
        snapshots.get(CURRENT_FROM),
        records.openKeyCursor(null, 'prev'),
      ]);
      const currentFrom = typeof storedFrom === 'number' ? storedFrom : 0;
      const nextFrom = typeof last?.key === 'number' ? last.key + 1 : currentFrom;
      // The current snapshot becomes the previous one: the records folded into it are needed no more.
      if (currentFrom > 0) await records.delete(IDBKeyRange.upperBound(currentFrom, true));
      if (current instanceof Uint8Array) await snapshots.put(current, PREVIOUS);
      else await snapshots.delete(PREVIOUS);
      await snapshots.put(currentFrom, PREVIOUS_FROM);
      await snapshots.put(snapshot.slice(), CURRENT);
      await snapshots.put(nextFrom, CURRENT_FROM);
      await tx.done;
    })();
    await this.track(done);
  }

  async close(): Promise<void> {
    this.flush();
    await Promise.allSettled([...this.writing]);
    this.db?.close();
    this.db = undefined;
  }

  private writeQueued(): void {
    const batch = this.queue.splice(0);
    if (batch.length === 0 || this.db === undefined) {
      const closed = new StoreError(`IndexedDB store ${this.databaseName} is closed`);
      for (const item of batch) item.reject(closed);
      this.appending = false;
      return;
    }
    this.appending = true;
    const tx = this.db.transaction(RECORDS, 'readwrite', { durability: 'strict' });
    const added = batch.map((item) => tx.store.add(item.record));
    // Nothing else goes into this transaction: let it commit now rather than when the task ends.
    tx.commit();
    const done = Promise.all([...added, tx.done]);
    void this.track(done)
      .then(
        () => {
          for (const item of batch) item.resolve();
        },
        (error: unknown) => {
          for (const item of batch) item.reject(error);
        },
      )
      .finally(() => this.writeQueued());
  }

  private track<T>(write: Promise<T>): Promise<T> {
    this.writing.add(write);
    const settle = (): void => {
      this.writing.delete(write);
    };
    write.then(settle, settle);
    return write;
  }

  private opened(): IDBPDatabase {
    if (this.db === undefined) throw new StoreError(`IndexedDB store ${this.databaseName} is not open`);
    return this.db;
  }
}

interface ReadPosition {
  readonly lastKey: IDBValidKey | undefined;
  readonly currentFrom: unknown;
  readonly previousFrom: unknown;
}

/**
 * Where the database stands: the last record's key (undefined: none) and the snapshots' positions, as
 * stored (`open` checks them). What `open` read and what `writtenSinceOpen` reads again, one read for both.
 */
async function readPosition(tx: IDBPTransaction<unknown, string[], 'readonly'>): Promise<ReadPosition> {
  const snapshots = tx.objectStore(SNAPSHOT);
  const [cursor, currentFrom, previousFrom] = await Promise.all([
    tx.objectStore(RECORDS).openKeyCursor(null, 'prev'),
    snapshots.get(CURRENT_FROM) as Promise<unknown>,
    snapshots.get(PREVIOUS_FROM) as Promise<unknown>,
  ]);
  return { lastKey: cursor?.key, currentFrom, previousFrom };
}

/** The records in `range`, in key order; what is not bytes is damage, skipped. */
async function readRecords(
  tx: IDBPTransaction<unknown, string[], 'readonly'>,
  range: IDBKeyRange,
  damage: string[],
): Promise<Uint8Array[]> {
  const [keys, values] = await Promise.all([
    tx.objectStore(RECORDS).getAllKeys(range) as Promise<unknown[]>,
    tx.objectStore(RECORDS).getAll(range) as Promise<unknown[]>,
  ]);
  const records: Uint8Array[] = [];
  values.forEach((value, index) => {
    if (value instanceof Uint8Array) records.push(value);
    else damage.push(`IndexedDB record ${String(keys[index])} is not bytes (${typeof value}); skipped`);
  });
  return records;
}

function bytesOrNothing(value: unknown, what: string, damage: string[]): Uint8Array | undefined {
  if (value === undefined || value instanceof Uint8Array) return value;
  damage.push(`IndexedDB ${what} is not bytes (${typeof value}); ignored`);
  return undefined;
}

/** A replica store in the browser's IndexedDB, one database per replica id. */
export class IndexedDbStore extends LogStore {
  constructor(replicaId: string, options: IndexedDbOpenOptions = {}) {
    super(indexedDbLogOf(replicaId, options));
  }
}

/** The byte log under `IndexedDbStore(replicaId)`: its database, for a `LogStore` built around it. */
export function indexedDbLogOf(replicaId: string, options: IndexedDbOpenOptions = {}): IndexedDbByteLog {
  return new IndexedDbByteLog(`converge-replica-${replicaId}`, options);
}
