/**
 * The contract every `Store` implementation keeps, run against each of them (memory, file, IndexedDB),
 * in the style of automerge-repo's storage adapter tests. `backing()` makes fresh storage; each call of
 * the returned `open()` is a new Store instance over that same storage, i.e. a restart.
 */
import { describe, expect, it } from 'vitest';
import type { Store } from '../../src/store.ts';

export interface StoreBacking {
  open(): Store;
  dispose?(): Promise<void>;
  /** Flip one bit inside the stored current snapshot (the store is closed). */
  damageSnapshot(): Promise<void>;
}

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

export function storeContract(name: string, backing: () => Promise<StoreBacking> | StoreBacking): void {
  describe(`${name} store contract`, () => {
    async function withBacking(body: (b: StoreBacking) => Promise<void>): Promise<void> {
      const b = await backing();
      try {
        await body(b);
      } finally {
        await b.dispose?.();
      }
    }

    it('starts empty', () =>
      withBacking(async (b) => {
        const store = b.open();
        expect(await store.load()).toEqual({ snapshots: {}, updates: [], metadata: undefined, damage: [] });
        await store.close();
      }));

    it('returns every appended update in order after a restart', () =>
      withBacking(async (b) => {
        const store = b.open();
        await store.load();
        await store.append({ kind: 'update', engine: 'yjs', update: bytes(1, 2, 3) });
        await store.append({ kind: 'update', engine: 'converge', update: bytes(4) });
        await store.append({ kind: 'update', engine: 'yjs', update: bytes(5, 6) });
        await store.close();
        const loaded = await b.open().load();
        expect(loaded.updates).toEqual([
          { engine: 'yjs', update: bytes(1, 2, 3) },
          { engine: 'converge', update: bytes(4) },
          { engine: 'yjs', update: bytes(5, 6) },
        ]);
        expect(loaded.damage).toEqual([]);
      }));

    it('keeps the order of many appends made without waiting', () =>
      withBacking(async (b) => {
        const store = b.open();
        await store.load();
        await Promise.all(
          Array.from({ length: 200 }, (_, i) =>
            store.append({ kind: 'update', engine: 'automerge', update: bytes(i & 0xff, i >> 8) }),
          ),
        );
        await store.close();
        const { updates } = await b.open().load();
        expect(updates.map((u) => u.update[0]! + (u.update[1]! << 8))).toEqual(
          Array.from({ length: 200 }, (_, i) => i),
        );
      }));

    it('keeps the latest metadata', () =>
      withBacking(async (b) => {
        const store = b.open();
        await store.load();
        await store.append({ kind: 'metadata', metadata: { replicaId: 'a', skewMs: 0 } });
        await store.append({ kind: 'metadata', metadata: { replicaId: 'a', skewMs: -5000, primary: 'yjs' } });
        await store.close();
        expect((await b.open().load()).metadata).toEqual({ replicaId: 'a', skewMs: -5000, primary: 'yjs' });
      }));

    it('replaces everything before a compaction with its snapshot and keeps what came after', () =>
      withBacking(async (b) => {
        const store = b.open();
        await store.load();
        await store.append({ kind: 'update', engine: 'lww', update: bytes(1) });
        await store.compact({
          engines: { lww: bytes(9, 9), converge: bytes(8) },
          metadata: { replicaId: 'b', skewMs: 10 },
        });
        await store.append({ kind: 'update', engine: 'lww', update: bytes(2) });
        await store.close();
        const loaded = await b.open().load();
        expect(loaded.snapshots).toEqual({ lww: bytes(9, 9), converge: bytes(8) });
        expect(loaded.updates).toEqual([{ engine: 'lww', update: bytes(2) }]);
        expect(loaded.metadata).toEqual({ replicaId: 'b', skewMs: 10 });
      }));

    it('round-trips a large binary update byte for byte', () =>
      withBacking(async (b) => {
        const big = Uint8Array.from({ length: 1 << 20 }, (_, i) => (i * 31 + 7) & 0xff);
        const store = b.open();
        await store.load();
        await store.append({ kind: 'update', engine: 'automerge', update: big });
        await store.close();
        const [only] = (await b.open().load()).updates;
        // Compared as bytes: a deep-equality diff of a megabyte would dominate the test's run time.
        expect(only?.update.length).toBe(big.length);
        expect(Buffer.from(only?.update ?? []).equals(Buffer.from(big))).toBe(true);
      }));

    it('keeps one intent’s updates together, in order with the other records', () =>
      withBacking(async (b) => {
        const store = b.open();
        await store.load();
        await store.append({ kind: 'update', engine: 'lww', update: bytes(1) });
        await store.append({
          kind: 'intent',
          updates: [
            { engine: 'converge', update: bytes(2) },
            { engine: 'automerge', update: bytes(3) },
          ],
        });
        await store.append({ kind: 'metadata', metadata: { replicaId: 'i', skewMs: 0, offline: true } });
        await store.close();
        const loaded = await b.open().load();
        expect(loaded.updates).toEqual([
          { engine: 'lww', update: bytes(1) },
          { engine: 'converge', update: bytes(2) },
          { engine: 'automerge', update: bytes(3) },
        ]);
        expect(loaded.metadata).toEqual({ replicaId: 'i', skewMs: 0, offline: true });
      }));

    it('rebuilds a damaged snapshot from the previous one and the records since: nothing is lost', () =>
      withBacking(async (b) => {
        const store = b.open();
        await store.load();
        await store.append({ kind: 'update', engine: 'yjs', update: bytes(1) });
        await store.compact({ engines: { yjs: bytes(1) }, metadata: { replicaId: 'p', skewMs: 0 } });
        await store.append({ kind: 'update', engine: 'yjs', update: bytes(2) });
        await store.compact({ engines: { yjs: bytes(1, 2) }, metadata: { replicaId: 'p', skewMs: 0 } });
        await store.append({ kind: 'update', engine: 'yjs', update: bytes(3) });
        await store.close();
        await b.damageSnapshot();
        const reopened = b.open();
        const loaded = await reopened.load();
        expect(loaded.snapshots).toEqual({ yjs: bytes(1) });
        expect(loaded.updates).toEqual([
          { engine: 'yjs', update: bytes(2) },
          { engine: 'yjs', update: bytes(3) },
        ]);
        expect(loaded.metadata).toEqual({ replicaId: 'p', skewMs: 0 });
        expect(loaded.damage.join('\n')).toMatch(/snapshot/);
        // And it carries on: a compaction after the repair holds everything.
        await reopened.compact({ engines: { yjs: bytes(1, 2, 3) }, metadata: { replicaId: 'p', skewMs: 0 } });
        await reopened.close();
        expect((await b.open().load()).snapshots).toEqual({ yjs: bytes(1, 2, 3) });
      }));

    it('refuses to append before it was loaded', () =>
      withBacking(async (b) => {
        const store = b.open();
        await expect(store.append({ kind: 'update', engine: 'yjs', update: bytes(1) })).rejects.toThrow(
          /load/,
        );
      }));
  });
}
