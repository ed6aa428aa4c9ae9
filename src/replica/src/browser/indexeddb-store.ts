/**
 * The web-mode store: a `LogStore` over IndexedDB. One database per replica with two object stores:
 * `records` (auto-incrementing keys keep append order) and `snapshot` (a single entry). An append is
 * acknowledged when its transaction completes with strict durability (flushed, not just queued);
 * compaction replaces the snapshot and clears the records in one transaction, so it is atomic.
 */
/// <reference lib="dom" />
import { type IDBPDatabase, openDB } from 'idb';
import { type ByteLog, type ByteLogContents, LogStore, StoreError } from '../log-store.ts';

const RECORDS = 'records';
const SNAPSHOT = 'snapshot';
const SNAPSHOT_KEY = 'current';

export class IndexedDbByteLog implements ByteLog {
  private db: IDBPDatabase | undefined;

  constructor(readonly databaseName: string) {}

  async open(): Promise<ByteLogContents> {
    if (this.db !== undefined) throw new StoreError(`IndexedDB store ${this.databaseName} is already open`);
    this.db = await openDB(this.databaseName, 1, {
      upgrade(db) {
        db.createObjectStore(RECORDS, { autoIncrement: true });
        db.createObjectStore(SNAPSHOT);
      },
    });
    const tx = this.db.transaction([RECORDS, SNAPSHOT], 'readonly');
    const [snapshot, values] = await Promise.all([
      tx.objectStore(SNAPSHOT).get(SNAPSHOT_KEY) as Promise<unknown>,
      tx.objectStore(RECORDS).getAll() as Promise<unknown[]>,
      tx.done,
    ]);
    const damage: string[] = [];
    const records: Uint8Array[] = [];
    values.forEach((value, index) => {
      if (value instanceof Uint8Array) records.push(value);
      else damage.push(`IndexedDB record ${index} is not bytes (${typeof value}); skipped`);
    });
    let snapshotBytes: Uint8Array | undefined;
    if (snapshot instanceof Uint8Array) snapshotBytes = snapshot;
    else if (snapshot !== undefined)
      damage.push(`IndexedDB snapshot is not bytes (${typeof snapshot}); ignored`);
    return { snapshot: snapshotBytes, records, damage };
  }

  async append(record: Uint8Array): Promise<void> {
    const tx = this.opened().transaction(RECORDS, 'readwrite', { durability: 'strict' });
    await Promise.all([tx.store.add(record.slice()), tx.done]);
  }

  async compact(snapshot: Uint8Array): Promise<void> {
    const tx = this.opened().transaction([RECORDS, SNAPSHOT], 'readwrite', { durability: 'strict' });
    await Promise.all([
      tx.objectStore(RECORDS).clear(),
      tx.objectStore(SNAPSHOT).put(snapshot.slice(), SNAPSHOT_KEY),
      tx.done,
    ]);
  }

  async close(): Promise<void> {
    this.db?.close();
    this.db = undefined;
  }

  private opened(): IDBPDatabase {
    if (this.db === undefined) throw new StoreError(`IndexedDB store ${this.databaseName} is not open`);
    return this.db;
  }
}

/** A replica store in the browser's IndexedDB, one database per replica id. */
export class IndexedDbStore extends LogStore {
  constructor(replicaId: string) {
    super(new IndexedDbByteLog(`converge-replica-${replicaId}`));
  }
}
