// What the runtime allocates per local intent, counted (never timed): the fan-out plan, the undo history's
// bookkeeping and the store's record must not build a Map or a Set per keystroke, nor copy the record.
import { VirtualClock } from '@converge/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { EngineName } from '../src/engine-name.ts';
import { type Intent, MemoryStore, Replica, SimNetwork } from '../src/index.ts';
import { type ByteLog, LogStore, MemoryByteLog } from '../src/log-store.ts';
import { toyFactory } from '../testing/toy-engine.ts';

const ENGINES: readonly EngineName[] = ['converge', 'yjs', 'lww'];
const NativeMap = globalThis.Map;
const NativeSet = globalThis.Set;

afterEach(() => {
  globalThis.Map = NativeMap;
  globalThis.Set = NativeSet;
});

/** Whether the collection being constructed was asked for by the runtime (not by an engine, toy or real). */
function byRuntime(): boolean {
  const caller = new Error().stack?.split('\n')[3] ?? '';
  return (
    /src[\\/](replica|log-store|store|schema|text-alignment)/.test(caller) && !/engines[\\/]/.test(caller)
  );
}

/** Count every Map and Set the runtime constructs while `body` runs (its synchronous part). */
function countCollections(body: () => void): { maps: number; sets: number } {
  const counts = { maps: 0, sets: 0 };
  globalThis.Map = class extends NativeMap<unknown, unknown> {
    constructor(entries?: Iterable<readonly [unknown, unknown]> | null) {
      super(entries);
      if (byRuntime()) counts.maps++;
    }
  } as MapConstructor;
  globalThis.Set = class extends NativeSet<unknown> {
    constructor(values?: Iterable<unknown> | null) {
      super(values);
      if (byRuntime()) counts.sets++;
    }
  } as SetConstructor;
  try {
    body();
  } finally {
    globalThis.Map = NativeMap;
    globalThis.Set = NativeSet;
  }
  return counts;
}

async function typing(log = new MemoryByteLog()) {
  const timers = new VirtualClock(1_000_000);
  const net = new SimNetwork({ timers, seed: 1 });
  const replica = await Replica.open({
    id: 'a',
    transport: net.transport('a'),
    store: new MemoryStore(log),
    engines: toyFactory().registry(ENGINES),
    timers,
    antiEntropyMs: 0,
  });
  await replica.apply({ op: 'text.insert', pos: 0, text: 'warm up' });
  return { replica, timers };
}

describe('the runtime per local intent', () => {
  it('builds no Map or Set for a text intent applied to every engine', async () => {
    const { replica, timers } = await typing();
    const pending: Promise<void>[] = [];
    const counts = countCollections(() => {
      for (let i = 0; i < 20; i++)
        pending.push(replica.apply({ op: 'text.insert', pos: i, text: 'x' } as Intent));
    });
    await Promise.all(pending);
    timers.advance(1_000);
    expect(counts).toEqual({ maps: 0, sets: 0 });
    for (const name of ENGINES) expect(replica.textSlice(name)).toBe(`${'x'.repeat(20)}warm up`);
    await replica.close();
  });

  it('hands the store one record per intent, which the memory log keeps without copying it', async () => {
    const log = new MemoryByteLog();
    const appended: Uint8Array[] = [];
    const append = log.append.bind(log);
    log.append = (record) => {
      appended.push(record);
      return append(record);
    };
    const { replica } = await typing(log);
    appended.length = 0;
    const copies = { count: 0 };
    const slice = Uint8Array.prototype.slice;
    Uint8Array.prototype.slice = function (this: Uint8Array, ...args: [number?, number?]) {
      copies.count++;
      return slice.apply(this, args);
    };
    try {
      await replica.apply({ op: 'text.insert', pos: 0, text: 'y' });
    } finally {
      Uint8Array.prototype.slice = slice;
    }
    expect(appended).toHaveLength(1);
    expect(copies.count).toBe(0);
    const stored = await new MemoryStore(log).load();
    expect(stored.updates.filter((u) => u.engine === 'converge')).toHaveLength(2);
    await replica.close();
  });

  it('encodes records into shared slabs for a log that takes views, and exact buffers for one that does not', async () => {
    const record = (n: number) => ({
      kind: 'update' as const,
      engine: 'converge' as EngineName,
      update: Uint8Array.of(n, n),
    });
    const views = new MemoryByteLog();
    const whole: ByteLog = Object.assign(new MemoryByteLog(), { takesViews: false });
    for (const log of [views, whole]) {
      const kept: Uint8Array[] = [];
      const append = log.append.bind(log);
      log.append = (bytes) => {
        kept.push(bytes);
        return append(bytes);
      };
      const store = new LogStore(log);
      await store.load();
      for (let n = 0; n < 50; n++) await store.append(record(n));
      const buffers = new Set(kept.map((bytes) => bytes.buffer));
      if (log === views) expect(buffers.size).toBe(1);
      else for (const bytes of kept) expect(bytes.buffer.byteLength).toBe(bytes.length);
      const loaded = await store.load();
      expect(loaded.updates.map(({ update }) => update[0])).toEqual([...Array(50).keys()]);
    }
  });

  it("reads a text insertion's one boundary in the primary once, twice after a high surrogate, as code units", async () => {
    const { replica } = await typing();
    const primary = replica.engine(replica.primary);
    const slice = primary.textSlice.bind(primary);
    const codeUnit = primary.textCodeUnit.bind(primary);
    const counts = { reads: 0, slices: 0 };
    primary.textSlice = (...args) => {
      counts.slices++;
      return slice(...args);
    };
    primary.textCodeUnit = (...args) => {
      counts.reads++;
      return codeUnit(...args);
    };
    await replica.apply({ op: 'text.insert', pos: 3, text: 'z' });
    // The code unit before position 3, once: it is no high surrogate, so the one after cannot complete a
    // pair (the engine checks with its own mirror). Read as a number: no one-character string per keystroke.
    expect(counts).toEqual({ reads: 1, slices: 0 });
    expect(replica.textSlice('lww')).toBe('warzm up');
    // After a high surrogate, the code unit after it is read too, and a split pair is refused.
    await replica.apply({ op: 'text.insert', pos: 0, text: '\u{1F600}' });
    counts.reads = 0;
    await expect(replica.apply({ op: 'text.insert', pos: 1, text: 'z' })).rejects.toThrow(
      /splits a surrogate pair/,
    );
    expect(counts).toEqual({ reads: 2, slices: 0 });
    await replica.close();
  });

  it("copies no engine's list of listeners per change", async () => {
    const { replica } = await typing();
    replica.subscribe(() => {}); // a listener on the runtime's side too, as the app has
    const iterator = NativeSet.prototype[Symbol.iterator];
    const values = NativeSet.prototype.values;
    let copies = 0;
    // Spreading a Set (`[...listeners]`) walks it through its iterator; counted when an engine's kit does.
    const counted = function (this: Set<unknown>) {
      if (/engines[\\/]kit/.test(new Error().stack?.split('\n')[2] ?? '')) copies++;
      return values.call(this);
    };
    NativeSet.prototype[Symbol.iterator] = counted;
    NativeSet.prototype.values = counted;
    try {
      for (let i = 0; i < 20; i++) await replica.apply({ op: 'text.insert', pos: i, text: 'x' } as Intent);
    } finally {
      NativeSet.prototype[Symbol.iterator] = iterator;
      NativeSet.prototype.values = values;
    }
    expect(copies).toBe(0);
    for (const name of ENGINES) expect(replica.textSlice(name)).toBe(`${'x'.repeat(20)}warm up`);
    await replica.close();
  });

  it('refuses an edit made from a listener while another is applied, which reaches every engine whole', async () => {
    const log = new MemoryByteLog();
    const { replica } = await typing(log);
    const refused: unknown[] = [];
    let once = false;
    const unsubscribe = replica.subscribe((event) => {
      if (event.type !== 'text' || once) return;
      once = true;
      replica.apply({ op: 'text.insert', pos: 0, text: '!' }).catch((error: unknown) => refused.push(error));
      replica.undo().catch((error: unknown) => refused.push(error));
    });
    await replica.apply({ op: 'text.insert', pos: 0, text: 'q' });
    unsubscribe();
    await Promise.resolve();
    expect(refused.length).toBeGreaterThan(0);
    for (const error of refused) expect(String(error)).toContain('while another is being applied');
    for (const name of ENGINES) expect(replica.textSlice(name)).toBe('qwarm up');
    const stored = await new MemoryStore(log).load();
    // The warm-up's record and this one: one update per engine each, nothing else.
    expect(stored.updates.map((u) => u.engine)).toEqual([...ENGINES, ...ENGINES]);
    await replica.close();
  });

  it('queues no microtask through queueMicrotask and clears no empty Map per acknowledged intent', async () => {
    const { replica } = await typing();
    const queue = globalThis.queueMicrotask;
    const clear = NativeMap.prototype.clear;
    const counts = { queued: 0, emptyCleared: 0 };
    // Node wraps each queueMicrotask in an AsyncResource and a bound function; Map#clear allocates a table.
    globalThis.queueMicrotask = (callback) => {
      counts.queued++;
      queue(callback);
    };
    NativeMap.prototype.clear = function (this: Map<unknown, unknown>) {
      if (this.size === 0 && byRuntime()) counts.emptyCleared++;
      clear.call(this);
    };
    try {
      for (let i = 0; i < 20; i++) await replica.apply({ op: 'text.insert', pos: i, text: 'x' } as Intent);
    } finally {
      globalThis.queueMicrotask = queue;
      NativeMap.prototype.clear = clear;
    }
    expect(counts).toEqual({ queued: 0, emptyCleared: 0 });
    for (const name of ENGINES) expect(replica.textSlice(name)).toBe(`${'x'.repeat(20)}warm up`);
    await replica.close();
  });
});
