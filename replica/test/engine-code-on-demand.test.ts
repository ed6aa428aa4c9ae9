/**
 * Engines' code on demand (issue 19: a window's worker loaded every engine's library, Automerge's and
 * Loro's WebAssembly among them, before its primary's text could show): Yjs's, Automerge's and Loro's
 * code loads when the engine is first built; a progressive open resolves with the primary's code only.
 *
 * The setup file (testing/load-engines.ts) loaded every engine's code into the registry the static
 * imports hold, so each test here imports fresh modules (`vi.resetModules`) and checks those.
 */
import { VirtualClock } from '@converge/protocol';
import { describe, expect, it, vi } from 'vitest';
import { ENGINES as LOADED_ENGINES } from '../src/engines/index.ts';
import { MemoryByteLog } from '../src/log-store.ts';
import { Replica as LoadedReplica } from '../src/replica.ts';
import { SimNetwork as LoadedNetwork } from '../src/sim-network.ts';
import { MemoryStore as LoadedStore } from '../src/store.ts';
import { copyOf, seeded, textsOf } from '../testing/stored-replica.ts';

const START = 1_700_000_000_000;
const ID = 'r-on-demand';
const HEAVY = ['yjs', 'automerge', 'loro'] as const;

/** The runtime as a worker starts it: no engine's code loaded but what its descriptor module imports. */
async function freshRuntime() {
  vi.resetModules();
  const [{ ENGINES }, { Replica }, { SimNetwork }, { MemoryStore }] = await Promise.all([
    import('../src/engines/index.ts'),
    import('../src/replica.ts'),
    import('../src/sim-network.ts'),
    import('../src/store.ts'),
  ]);
  return { ENGINES, Replica, SimNetwork, MemoryStore };
}

/** A log every engine wrote a text to (with the code the setup file loaded). */
async function storedDocument(): Promise<MemoryByteLog> {
  const log = new MemoryByteLog();
  const clock = new VirtualClock(START);
  const writer = await LoadedReplica.open({
    id: ID,
    transport: new LoadedNetwork({ timers: clock, seed: 1 }).transport(ID),
    store: new LoadedStore(log),
    engines: LOADED_ENGINES,
    timers: clock,
    antiEntropyMs: 0,
    randomUint32: seeded(),
  });
  await writer.apply({ op: 'text.insert', pos: 0, text: 'the quick brown fox' });
  await writer.close();
  return log;
}

describe("engines' code on demand", () => {
  it('leaves the heavy engines unloaded until asked, their facts and payload names readable meanwhile', async () => {
    const { ENGINES } = await freshRuntime();
    expect(HEAVY.filter((name) => ENGINES.isLoaded(name))).toEqual([]);
    expect(ENGINES.isLoaded('converge')).toBe(true);
    expect(ENGINES.get('automerge').completeVersion).toBe(true);
    expect(ENGINES.get('yjs').describePayload(Uint8Array.of(0, 0))).toBe('sync step 1');
    expect(ENGINES.get('automerge').describePayload(Uint8Array.of(0x42))).toBe('sync');
    const context = { replicaId: 'r-fresh', now: () => START };
    expect(() => ENGINES.create('automerge', context)).toThrow(/automerge engine's code is not loaded/);
    expect(() => ENGINES.get('automerge').heads?.(ENGINES.create('converge', context))).toThrow(/not loaded/);

    await ENGINES.load('automerge');
    expect(ENGINES.isLoaded('automerge')).toBe(true);
    expect(ENGINES.isLoaded('loro')).toBe(false);
    const engine = ENGINES.create('automerge', context);
    expect(engine.name).toBe('automerge');
    engine.close();
  });

  it('a progressive open resolves with only the primary engine code loaded; the others load in turn', async () => {
    const log = await storedDocument();
    const { ENGINES, Replica, SimNetwork, MemoryStore } = await freshRuntime();
    const clock = new VirtualClock(START + 60_000);
    const replica = await Replica.open({
      id: ID,
      transport: new SimNetwork({ timers: clock, seed: 2 }).transport(ID),
      store: new MemoryStore(await copyOf(log).then((store) => store.log)),
      engines: ENGINES,
      timers: clock,
      antiEntropyMs: 0,
      randomUint32: seeded(),
      progressive: true,
    });
    expect(replica.primary).toBe('converge');
    expect(replica.textSlice('converge')).toBe('the quick brown fox');
    expect(HEAVY.filter((name) => ENGINES.isLoaded(name))).toEqual([]);
    expect(replica.loading()).toEqual(['yjs', 'automerge', 'lww', 'loro']);
    // Edits made meanwhile reach the engines whose code has not loaded yet, once they load.
    await replica.apply({ op: 'text.insert', pos: 19, text: ' jumps' });
    await replica.apply({ op: 'cart.add', product: 'apple', qty: 1 });
    expect(HEAVY.filter((name) => ENGINES.isLoaded(name))).toEqual([]);

    // Each engine's code is a dynamic import: real time passes while it loads, the clock's tasks between.
    while (replica.loading().length > 0) {
      clock.advance(0);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    await replica.loaded;
    expect(HEAVY.filter((name) => ENGINES.isLoaded(name))).toEqual([...HEAVY]);
    expect(new Set(Object.values(textsOf(replica)))).toEqual(new Set(['the quick brown fox jumps']));
    await replica.close();
  });

  it('an eager open loads every engine code before it resolves', async () => {
    const { ENGINES, Replica, SimNetwork, MemoryStore } = await freshRuntime();
    const clock = new VirtualClock(START);
    const replica = await Replica.open({
      id: 'r-eager',
      transport: new SimNetwork({ timers: clock, seed: 3 }).transport('r-eager'),
      store: new MemoryStore(new MemoryByteLog()),
      engines: ENGINES,
      timers: clock,
      antiEntropyMs: 0,
      randomUint32: seeded(),
    });
    expect(HEAVY.filter((name) => ENGINES.isLoaded(name))).toEqual([...HEAVY]);
    expect(replica.loading()).toEqual([]);
    await replica.close();
  });
});
