import { MemoryStore, type Store, type StoredState } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { openReadingAhead, readAhead } from '../worker/read-ahead.ts';

/** A store that says when its read starts, into `events`. */
function countingStore(events: string[], inner: Store = new MemoryStore()): Store & { loads: number } {
  const store = {
    loads: 0,
    load(): Promise<StoredState> {
      store.loads += 1;
      events.push('store read');
      return inner.load();
    },
    append: (record: Parameters<Store['append']>[0]) => inner.append(record),
    compact: (snapshot: Parameters<Store['compact']>[0]) => inner.compact(snapshot),
    flush: () => inner.flush(),
    close: () => inner.close(),
  };
  return store;
}

describe('the worker reads its store while the host module loads', () => {
  it('starts the read before the import, and the open takes that read (one read in all)', async () => {
    const events: string[] = [];
    const store = countingStore(events);
    const opened = await openReadingAhead(store, async () => {
      events.push('host imported');
      return async (reading) => {
        events.push('open');
        const state = await reading.load();
        return state.damage;
      };
    });
    expect(opened).toEqual([]);
    expect(events).toEqual(['store read', 'host imported', 'open']);
    expect(store.loads).toBe(1);
  });

  it('hands over what was stored, and passes writes through', async () => {
    const inner = new MemoryStore();
    await inner.load();
    await inner.append({ kind: 'metadata', metadata: { replicaId: 'a', skewMs: 3 } });
    await inner.close();
    const reading = readAhead(countingStore([], inner));
    expect((await reading.load()).metadata).toEqual({ replicaId: 'a', skewMs: 3 });
    await reading.append({ kind: 'metadata', metadata: { replicaId: 'a', skewMs: 4 } });
    await reading.close();
    expect((await inner.load()).metadata?.skewMs).toBe(4);
  });

  it('gives a failed read to whoever loads, and reads again after', async () => {
    let calls = 0;
    const inner = new MemoryStore();
    const failing = countingStore([], {
      ...inner,
      load: async (): Promise<StoredState> => {
        calls += 1;
        if (calls === 1) throw new Error('disk on fire');
        return inner.load();
      },
      append: (record) => inner.append(record),
      compact: (snapshot) => inner.compact(snapshot),
      flush: () => inner.flush(),
      close: () => inner.close(),
    });
    const reading = readAhead(failing);
    await expect(reading.load()).rejects.toThrow('disk on fire');
    expect((await reading.load()).damage).toEqual([]);
  });
});
