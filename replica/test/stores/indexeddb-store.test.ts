import 'fake-indexeddb/auto';
import { openDB } from 'idb';
import { describe, expect, it } from 'vitest';
import { IndexedDbStore, StoreAbsentError } from '../../src/browser/indexeddb-store.ts';
import { encodeStoreRecord, encodeStoreSnapshot } from '../../src/store-codec.ts';
import { storeContract } from './store-contract.ts';

let n = 0;
const databaseOf = (replica: string): string => `converge-replica-${replica}`;

function deleteDatabase(replica: string): Promise<void> {
  return new Promise<void>((resolve) => {
    const request = indexedDB.deleteDatabase(databaseOf(replica));
    request.onsuccess = request.onerror = request.onblocked = () => resolve();
  });
}

storeContract('IndexedDB', () => {
  const replica = `contract-${n++}`;
  return {
    open: () => new IndexedDbStore(replica),
    dispose: () => deleteDatabase(replica),
    damageSnapshot: async () => {
      const db = await openDB(databaseOf(replica), 1);
      const bytes = ((await db.get('snapshot', 'current')) as Uint8Array).slice();
      bytes[bytes.length - 2] = (bytes[bytes.length - 2] as number) ^ 0x40;
      await db.put('snapshot', bytes, 'current');
      db.close();
    },
  };
});

describe('IndexedDB store', () => {
  it('opens a database written before it kept the previous snapshot', async () => {
    const replica = `old-${n++}`;
    const db = await openDB(databaseOf(replica), 1, {
      upgrade(upgrading) {
        upgrading.createObjectStore('records', { autoIncrement: true });
        upgrading.createObjectStore('snapshot');
      },
    });
    await db.put('snapshot', encodeStoreSnapshot({ engines: { yjs: Uint8Array.of(1) } }), 'current');
    await db.add('records', encodeStoreRecord({ kind: 'update', engine: 'yjs', update: Uint8Array.of(2) }));
    db.close();
    try {
      const store = new IndexedDbStore(replica);
      const loaded = await store.load();
      expect(loaded).toEqual({
        snapshots: { yjs: Uint8Array.of(1) },
        updates: [{ engine: 'yjs', update: Uint8Array.of(2) }],
        metadata: undefined,
        damage: [],
      });
      await store.compact({ engines: { yjs: Uint8Array.of(1, 2) } });
      await store.append({ kind: 'update', engine: 'yjs', update: Uint8Array.of(3) });
      await store.close();
      expect((await new IndexedDbStore(replica).load()).updates).toEqual([
        { engine: 'yjs', update: Uint8Array.of(3) },
      ]);
    } finally {
      await deleteDatabase(replica);
    }
  });

  it('keeps the records of the previous snapshot and no older ones', async () => {
    const replica = `prune-${n++}`;
    try {
      const store = new IndexedDbStore(replica);
      await store.load();
      for (let round = 0; round < 4; round++) {
        for (let i = 0; i < 3; i++)
          await store.append({ kind: 'update', engine: 'yjs', update: Uint8Array.of(round, i) });
        await store.compact({ engines: { yjs: Uint8Array.of(round) } });
      }
      await store.append({ kind: 'update', engine: 'yjs', update: Uint8Array.of(9) });
      await store.close();
      const db = await openDB(databaseOf(replica), 1);
      // The last compaction's 3 records (the previous snapshot needs them) and the one after it.
      expect(await db.count('records')).toBe(4);
      db.close();
    } finally {
      await deleteDatabase(replica);
    }
  });

  it('opens reading the current snapshot and the records after it only: the previous one when needed', async () => {
    const replica = `read-${n++}`;
    const read: string[] = [];
    const { get, getAll } = IDBObjectStore.prototype;
    try {
      const store = new IndexedDbStore(replica);
      await store.load();
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 3; i++)
          await store.append({ kind: 'update', engine: 'yjs', update: Uint8Array.of(round, i) });
        await store.compact({ engines: { yjs: Uint8Array.of(round) } });
      }
      await store.append({ kind: 'update', engine: 'yjs', update: Uint8Array.of(9) });
      await store.close();
      IDBObjectStore.prototype.get = function (this: IDBObjectStore, key: IDBValidKey | IDBKeyRange) {
        read.push(`get ${String(key)}`);
        return get.call(this, key);
      };
      IDBObjectStore.prototype.getAll = function (this: IDBObjectStore, ...args) {
        const request = getAll.apply(this, args);
        request.addEventListener('success', () => read.push(`records ${request.result.length}`));
        return request;
      } as typeof getAll;
      const loaded = await new IndexedDbStore(replica).load();
      expect(loaded.snapshots).toEqual({ yjs: Uint8Array.of(1) });
      expect(loaded.updates).toEqual([{ engine: 'yjs', update: Uint8Array.of(9) }]);
      // Not the previous snapshot, nor the 3 records it needs.
      expect(read.sort()).toEqual(['get current', 'get current-from', 'get previous-from', 'records 1']);
    } finally {
      IDBObjectStore.prototype.get = get;
      IDBObjectStore.prototype.getAll = getAll;
      await deleteDatabase(replica);
    }
  });

  it('writes appends queued behind a transaction in one more, started at once when flushed', async () => {
    const replica = `flush-${n++}`;
    const started: string[] = [];
    const transaction = IDBDatabase.prototype.transaction;
    IDBDatabase.prototype.transaction = function (this: IDBDatabase, ...args) {
      started.push(String(args[1] ?? 'readonly'));
      return transaction.apply(this, args);
    } as typeof transaction;
    try {
      const store = new IndexedDbStore(replica);
      await store.load();
      started.length = 0;
      const writes = [store.append({ kind: 'update', engine: 'lww', update: Uint8Array.of(0) })];
      expect(started).toEqual(['readwrite']); // the first append starts a transaction
      for (let i = 1; i < 50; i++)
        writes.push(store.append({ kind: 'update', engine: 'lww', update: Uint8Array.of(i) }));
      expect(started).toHaveLength(1); // the others wait for it...
      store.flush();
      expect(started).toHaveLength(2); // ...unless the page is going away: then they go now, together
      writes.push(store.append({ kind: 'update', engine: 'lww', update: Uint8Array.of(50) }));
      await Promise.all(writes);
      await store.close();
      const { updates } = await new IndexedDbStore(replica).load();
      expect(updates.map((u) => u.update[0])).toEqual(Array.from({ length: 51 }, (_, i) => i));
    } finally {
      IDBDatabase.prototype.transaction = transaction;
      await deleteDatabase(replica);
    }
  });

  it('opens only an existing database when asked: a missing one is reported, not created', async () => {
    const replica = `existing-${n++}`;
    const names = async (): Promise<string[]> => (await indexedDB.databases()).map((d) => d.name ?? '');
    try {
      const absent = new IndexedDbStore(replica, { existingOnly: true });
      await expect(absent.load()).rejects.toBeInstanceOf(StoreAbsentError);
      expect(await names()).not.toContain(databaseOf(replica));
      const created = new IndexedDbStore(replica);
      await created.load();
      await created.append({ kind: 'update', engine: 'lww', update: Uint8Array.of(7) });
      await created.close();
      const existing = new IndexedDbStore(replica, { existingOnly: true });
      expect((await existing.load()).updates).toEqual([{ engine: 'lww', update: Uint8Array.of(7) }]);
      await existing.append({ kind: 'update', engine: 'lww', update: Uint8Array.of(8) });
      await existing.close();
      expect((await new IndexedDbStore(replica).load()).updates).toHaveLength(2);
    } finally {
      await deleteDatabase(replica);
    }
  });
});
