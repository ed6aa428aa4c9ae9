import 'fake-indexeddb/auto';
import { MemoryStore, type Store, type StoredState } from '@converge/replica';
import { IndexedDbStore } from '@converge/replica/browser';
import { describe, expect, it } from 'vitest';
import { startEarlyStoreRead } from '../worker/early-store-read.ts';
import { guessStoreName, storeFromWorkerName, workerName } from '../worker/store-hint.ts';
import { pageImportGraph } from './page-import-graph.ts';

/** A store that counts its reads and closes, over `inner`. */
function observed(inner: Store = new MemoryStore()) {
  const seen = { loads: 0, closes: 0, appends: 0 };
  const store: Store = {
    load(): Promise<StoredState> {
      seen.loads += 1;
      return inner.load();
    },
    append: (record) => {
      seen.appends += 1;
      return inner.append(record);
    },
    compact: (snapshot) => inner.compact(snapshot),
    flush: () => inner.flush(),
    close: () => {
      seen.closes += 1;
      return inner.close();
    },
  };
  return { store, seen };
}

async function storeWith(skewMs: number): Promise<MemoryStore> {
  const inner = new MemoryStore();
  await inner.load();
  await inner.append({ kind: 'metadata', metadata: { replicaId: 'r-1', skewMs } });
  await inner.close();
  return inner;
}

describe("the page's guess of its store", () => {
  it("is the page's ?replica= in its ?room=, and none for a new replica or Electron", () => {
    expect(guessStoreName('http://h/?replica=r-1', false)).toBe('r-1');
    expect(guessStoreName('http://h/?replica=r-1&room=team', false)).toBe('r-1@team');
    expect(guessStoreName('http://h/', false)).toBeUndefined();
    expect(guessStoreName('http://h/?replica=', false)).toBeUndefined();
    expect(guessStoreName('http://h/?replica=r-1', true)).toBeUndefined();
  });

  it("travels in the worker's name", () => {
    expect(workerName(undefined)).toBe('replica');
    expect(storeFromWorkerName('replica')).toBeUndefined();
    expect(storeFromWorkerName(undefined)).toBeUndefined();
    for (const name of ['r-1', 'r-1@team', 'odd name/%'])
      expect(storeFromWorkerName(workerName(name))).toBe(name);
  });
});

describe("the worker's early read of the guessed store", () => {
  it('reads at once, and the store init names opens on that read (one read in all)', async () => {
    const { store, seen } = observed(await storeWith(5));
    let read = 0;
    const early = startEarlyStoreRead(
      'r-1',
      () => store,
      () => read++,
    );
    expect(seen.loads).toBe(1); // before any 'init'
    const opened = early?.take({ kind: 'indexeddb', name: 'r-1' }, () => {
      throw new Error('not opened again');
    });
    expect(opened).toBeDefined();
    expect((await opened?.load())?.metadata?.skewMs).toBe(5);
    expect(seen.loads).toBe(1);
    expect(read).toBe(1);
    await opened?.append({ kind: 'metadata', metadata: { replicaId: 'r-1', skewMs: 6 } });
    expect(seen.appends).toBe(1);
    expect(early?.take({ kind: 'indexeddb', name: 'r-1' }, () => store)).toBeUndefined(); // once only
  });

  it('closes, unwritten, a store init does not name', async () => {
    const { store, seen } = observed(await storeWith(5));
    const early = startEarlyStoreRead('r-1', () => store);
    expect(early?.take({ kind: 'indexeddb', name: 'r-2' }, () => store)).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toEqual({ loads: 1, closes: 1, appends: 0 });
    const other = startEarlyStoreRead('r-1', () => observed().store);
    expect(other?.take({ kind: 'byte-log' }, () => store)).toBeUndefined();
  });

  it('opens the store as usual when the early read failed, and the usual read is the one used', async () => {
    const failing: Store = {
      load: () => Promise.reject(new Error('no such store')),
      append: () => Promise.reject(new Error('not open')),
      compact: () => Promise.reject(new Error('not open')),
      flush: () => {},
      close: async () => {},
    };
    const usual = observed(await storeWith(9));
    const early = startEarlyStoreRead('r-1', () => failing);
    const opened = early?.take({ kind: 'indexeddb', name: 'r-1' }, () => usual.store);
    expect((await opened?.load())?.metadata?.skewMs).toBe(9);
    await opened?.append({ kind: 'metadata', metadata: { replicaId: 'r-1', skewMs: 10 } });
    expect(usual.seen).toMatchObject({ loads: 1, appends: 1 });
  });

  it('does nothing without a guess', () => {
    expect(startEarlyStoreRead(undefined, () => observed().store)).toBeUndefined();
  });

  it('never creates a store that is not there (IndexedDB): the usual open then creates it', async () => {
    const name = `early-${Date.now()}`;
    const databases = async (): Promise<string[]> => (await indexedDB.databases()).map((d) => d.name ?? '');
    const early = startEarlyStoreRead(name, (n) => new IndexedDbStore(n, { existingOnly: true }));
    const opened = early?.take({ kind: 'indexeddb', name }, () => new IndexedDbStore(name));
    expect((await opened?.load())?.updates).toEqual([]);
    await opened?.append({ kind: 'update', engine: 'lww', update: Uint8Array.of(1) });
    await opened?.close();
    expect(await databases()).toContain(`converge-replica-${name}`);
    const guessedWrong = startEarlyStoreRead(
      `${name}@nowhere`,
      (n) => new IndexedDbStore(n, { existingOnly: true }),
    );
    expect(guessedWrong?.take({ kind: 'indexeddb', name }, () => new IndexedDbStore(name))).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await databases()).not.toContain(`converge-replica-${name}@nowhere`);
    const reopened = startEarlyStoreRead(name, (n) => new IndexedDbStore(n, { existingOnly: true }));
    const again = reopened?.take({ kind: 'indexeddb', name }, () => new IndexedDbStore(name));
    expect((await again?.load())?.updates).toEqual([{ engine: 'lww', update: Uint8Array.of(1) }]);
    await again?.close();
  });
});

describe("the worker's entry", () => {
  const root = new URL('../../..', import.meta.url).pathname;

  it("starts the early read before the rest of the worker's code: it imports no protocol schemas", () => {
    const graph = pageImportGraph(root, 'src/renderer/worker/replica-worker.ts');
    expect(graph.files.has('src/renderer/worker/early-read.ts')).toBe(true);
    expect(graph.files.has('src/renderer/worker/protocol.ts')).toBe(false);
    expect(graph.packages.has('zod')).toBe(false);
  });

  it('reads the store its name guesses as its first module loads', async () => {
    const scope = globalThis as { name?: string };
    const before = scope.name;
    scope.name = workerName('r-entry');
    try {
      const { earlyRead } = await import('../worker/early-read.ts');
      expect(earlyRead?.name).toBe('r-entry');
    } finally {
      scope.name = before;
    }
  });
});
