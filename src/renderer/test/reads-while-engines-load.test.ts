/**
 * What the worker reads of every engine while some still load (a window's first edit right after a
 * reopen, a replay's state report): a session log's start snapshot and a window's reported state leave
 * out the engines not loaded yet, whose code may not be either, instead of building them.
 * Fresh modules (`vi.resetModules`): the setup file loaded every engine's code into the static registry.
 */
import { VirtualClock } from '@converge/protocol';
import { ENGINES as LOADED, MemoryByteLog, MemoryStore, Replica, SimNetwork } from '@converge/replica';
import { describe, expect, it, vi } from 'vitest';

const ID = 'r-snapshot';

describe('reads of every engine during a progressive open', () => {
  it('cover the loaded engines only, and every engine once all have loaded', async () => {
    const log = new MemoryByteLog();
    const clock = new VirtualClock(1_700_000_000_000);
    const writer = await Replica.open({
      id: ID,
      transport: new SimNetwork({ timers: clock, seed: 1 }).transport(ID),
      store: new MemoryStore(log),
      engines: LOADED,
      timers: clock,
      antiEntropyMs: 0,
    });
    await writer.apply({ op: 'text.insert', pos: 0, text: 'hello' });
    await writer.close();

    vi.resetModules();
    const fresh = await import('@converge/replica');
    const { snapshotOf } = await import('../logic/session-recorder.ts');
    const { windowStateOf } = await import('../logic/replay-channel.ts');
    const replica = await fresh.Replica.open({
      id: ID,
      transport: new fresh.SimNetwork({ timers: clock, seed: 2 }).transport(ID),
      store: new fresh.MemoryStore(log),
      engines: fresh.ENGINES,
      timers: clock,
      antiEntropyMs: 0,
      progressive: true,
    });
    expect(fresh.ENGINES.isLoaded('automerge')).toBe(false);
    expect(Object.keys(snapshotOf(replica) ?? {})).toEqual(['converge']);
    expect(Object.keys(windowStateOf(replica).digests)).toEqual(['converge']);

    while (replica.loading().length > 0) {
      clock.advance(0);
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    expect(Object.keys(snapshotOf(replica) ?? {})).toEqual([...fresh.ENGINES.names]);
    expect(Object.keys(windowStateOf(replica).versions)).toEqual([...fresh.ENGINES.names]);
    await replica.close();
  });
});
