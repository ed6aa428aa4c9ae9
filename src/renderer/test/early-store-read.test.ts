import 'fake-indexeddb/auto';
import { MemoryByteLog } from '@converge/replica';
import {
  type ByteLog,
  type ByteLogContents,
  IndexedDbStore,
  indexedDbLogOf,
  LogStore,
} from '@converge/replica/browser';
import { describe, expect, it } from 'vitest';
import { listenEarly, type WorkerScopeLike } from '../worker/early-listen.ts';
import { openingAhead, type ReadingStore, startEarlyStoreRead } from '../worker/early-store-read.ts';
import { guessStoreName, storeFromWorkerName, workerName } from '../worker/store-hint.ts';
import { pageImportGraph } from './page-import-graph.ts';

/** A byte log that counts its opens and closes, over `inner`. */
function observed(inner: MemoryByteLog = new MemoryByteLog()) {
  const seen = { opens: 0, closes: 0, appends: 0 };
  const log: ByteLog = {
    takesViews: true,
    open(): Promise<ByteLogContents> {
      seen.opens += 1;
      return inner.open();
    },
    append: (record) => {
      seen.appends += 1;
      return inner.append(record);
    },
    compact: (snapshot) => inner.compact(snapshot),
    close: () => {
      seen.closes += 1;
      return inner.close();
    },
  };
  return { log, seen };
}

/** A byte log holding the metadata record of replica r-1 with `skewMs`. */
async function logWith(skewMs: number): Promise<MemoryByteLog> {
  const inner = new MemoryByteLog();
  const store = new LogStore(inner);
  await store.load();
  await store.append({ kind: 'metadata', metadata: { replicaId: 'r-1', skewMs } });
  return inner;
}

const early = (log: ByteLog, isCurrent = async () => true): ReadingStore => ({
  store: new LogStore(openingAhead(log)),
  isCurrent,
});

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
  it('opens at once, and the store init names loads from that read (one read in all)', async () => {
    const { log, seen } = observed(await logWith(5));
    const read = startEarlyStoreRead('r-1', () => early(log));
    expect(seen.opens).toBe(1); // before any 'init'
    const opened = read?.take({ kind: 'indexeddb', name: 'r-1' }, () => {
      throw new Error('not opened again');
    });
    expect(opened).toBeDefined();
    expect((await opened?.load())?.metadata?.skewMs).toBe(5);
    expect(seen.opens).toBe(1);
    await opened?.append({ kind: 'metadata', metadata: { replicaId: 'r-1', skewMs: 6 } });
    expect(seen.appends).toBe(1);
    expect(read?.take({ kind: 'indexeddb', name: 'r-1' }, () => new LogStore(log))).toBeUndefined(); // once only
  });

  it('closes, unwritten, a store init does not name, once its read has settled', async () => {
    let finish: (contents: ByteLogContents) => void = () => {};
    const { log, seen } = observed();
    const slow: ByteLog = { ...log, open: () => new Promise((resolve) => (finish = resolve)) };
    const read = startEarlyStoreRead('r-1', () => early(slow));
    expect(read?.take({ kind: 'indexeddb', name: 'r-2' }, () => new LogStore(log))).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen.closes).toBe(0); // still reading
    finish({ records: [] });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(seen).toEqual({ opens: 0, closes: 1, appends: 0 });
    const other = startEarlyStoreRead('r-1', () => early(observed().log));
    expect(other?.take({ kind: 'byte-log' }, () => new LogStore(log))).toBeUndefined();
  });

  it('opens the store as usual when the early read failed, and the usual read is the one used', async () => {
    const failing: ByteLog = {
      open: () => Promise.reject(new Error('no such store')),
      append: () => Promise.reject(new Error('not open')),
      compact: () => Promise.reject(new Error('not open')),
      close: async () => {},
    };
    const usual = observed(await logWith(9));
    const read = startEarlyStoreRead('r-1', () => early(failing));
    const opened = read?.take({ kind: 'indexeddb', name: 'r-1' }, () => new LogStore(usual.log));
    expect((await opened?.load())?.metadata?.skewMs).toBe(9);
    await opened?.append({ kind: 'metadata', metadata: { replicaId: 'r-1', skewMs: 10 } });
    expect(usual.seen).toMatchObject({ opens: 1, appends: 1 });
  });

  it('reads again when the store was written since the early read (the previous page still finishing)', async () => {
    const usual = observed(await logWith(9));
    const read = startEarlyStoreRead('r-1', () =>
      early(observed(new MemoryByteLog()).log, async () => false),
    );
    const opened = read?.take({ kind: 'indexeddb', name: 'r-1' }, () => new LogStore(usual.log));
    expect((await opened?.load())?.metadata?.skewMs).toBe(9);
    expect(usual.seen.opens).toBe(1);
  });

  it('sees a record another connection appended after the early read began (IndexedDB)', async () => {
    const name = `overtaken-${Date.now()}`;
    const previous = new IndexedDbStore(name);
    await previous.load();
    await previous.append({ kind: 'update', engine: 'lww', update: Uint8Array.of(1) });
    const read = startEarlyStoreRead(name, (n) => {
      const log = indexedDbLogOf(n, { existingOnly: true });
      return early(log, async () => !(await log.writtenSinceOpen()));
    });
    await new Promise((resolve) => setTimeout(resolve, 20)); // the early read done
    await previous.append({ kind: 'update', engine: 'lww', update: Uint8Array.of(2) });
    await previous.close();
    const opened = read?.take({ kind: 'indexeddb', name }, () => new IndexedDbStore(name));
    expect((await opened?.load())?.updates.map((u) => u.update[0])).toEqual([1, 2]);
    await opened?.close();
  });

  it('does nothing without a guess', () => {
    expect(startEarlyStoreRead(undefined, () => early(observed().log))).toBeUndefined();
  });

  it('never creates a store that is not there (IndexedDB): the usual open then creates it', async () => {
    const name = `early-${Date.now()}`;
    const databases = async (): Promise<string[]> => (await indexedDB.databases()).map((d) => d.name ?? '');
    const guessed = (n: string): ReadingStore => {
      const log = indexedDbLogOf(n, { existingOnly: true });
      return early(log, async () => !(await log.writtenSinceOpen()));
    };
    const read = startEarlyStoreRead(name, guessed);
    const opened = read?.take({ kind: 'indexeddb', name }, () => new IndexedDbStore(name));
    expect((await opened?.load())?.updates).toEqual([]);
    await opened?.append({ kind: 'update', engine: 'lww', update: Uint8Array.of(1) });
    await opened?.close();
    expect(await databases()).toContain(`converge-replica-${name}`);
    const guessedWrong = startEarlyStoreRead(`${name}@nowhere`, guessed);
    expect(guessedWrong?.take({ kind: 'indexeddb', name }, () => new IndexedDbStore(name))).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await databases()).not.toContain(`converge-replica-${name}@nowhere`);
    const reopened = startEarlyStoreRead(name, guessed);
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
    const scope = globalThis as { name?: string; postMessage?: (message: unknown) => void };
    const before = { name: scope.name, postMessage: scope.postMessage };
    const posted: unknown[] = [];
    scope.name = workerName('r-entry');
    scope.postMessage = (message) => posted.push(message);
    try {
      const { earlyRead } = await import('../worker/early-read.ts');
      expect(earlyRead?.name).toBe('r-entry');
      expect(posted).toEqual([{ type: 'listening' }]);
    } finally {
      Object.assign(scope, before);
    }
  });
});

describe("the worker's early 'listening'", () => {
  it("says it at once and hands the page's messages, held until then, to the main part in order", () => {
    const posted: unknown[] = [];
    const scope: WorkerScopeLike = { postMessage: (m) => posted.push(m), onmessage: null };
    const takeOver = listenEarly(scope);
    expect(posted).toEqual([{ type: 'listening' }]);
    const event = (data: unknown) => ({ data, ports: [] });
    scope.onmessage?.(event({ type: 'init' }));
    scope.onmessage?.(event({ type: 'credential', id: 1 }));
    const handled: unknown[] = [];
    takeOver((e) => handled.push(e.data));
    expect(handled).toEqual([{ type: 'init' }, { type: 'credential', id: 1 }]);
    scope.onmessage?.(event({ type: 'flush' }));
    expect(handled).toHaveLength(3);
    expect(posted).toHaveLength(1);
  });
});
