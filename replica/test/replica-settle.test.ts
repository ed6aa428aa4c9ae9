/**
 * An engine that puts off peers' changes (Automerge) takes them in when the replica settles: before a
 * caller reads the text it places an edit in. A caller that read the text first placed its edit in an
 * older text than the one `apply` placed it in (a CI run of the convergence harness over a real relay:
 * an insert at the end of a text a queued delete had emptied).
 */
import { VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import type { EngineRegistry } from '../src/engine-registry.ts';
import { ENGINES } from '../src/engines/index.ts';
import { Replica, type ReplicaEvent } from '../src/replica.ts';
import { SimNetwork } from '../src/sim-network.ts';
import { MemoryStore } from '../src/store.ts';
import { HeldDefers } from '../testing/held-defers.ts';

describe('Replica.settle', () => {
  it('takes in what Automerge put off, reporting it before it returns, so an edit is placed in that text', async () => {
    const timers = new VirtualClock(1_700_000_000_000);
    const net = new SimNetwork({ timers, seed: 11 });
    const held = new HeldDefers();
    const open = (id: string, engines: EngineRegistry): Promise<Replica> =>
      Replica.open({
        id,
        transport: net.transport(id),
        store: new MemoryStore(),
        engines,
        timers,
        antiEntropyMs: 0,
      });
    const writer = await open('writer', ENGINES.only(['converge', 'automerge']));
    const reader = await open(
      'reader',
      held.registry(ENGINES.only(['converge', 'automerge']), ['automerge']),
    );
    await reader.setPrimary('automerge');

    await writer.apply({ op: 'text.insert', pos: 0, text: 'abc' });
    timers.advance(1_000);
    held.run();
    expect(reader.textSlice('automerge')).toBe('abc');

    await writer.apply({ op: 'text.delete', pos: 0, len: 3 });
    timers.advance(1_000);
    // Arrived, put off: the text a caller reads still has it.
    expect(held.count).toBeGreaterThan(0);
    expect(reader.textSlice('automerge')).toBe('abc');

    const events: ReplicaEvent[] = [];
    const stop = reader.subscribe((event) => events.push(event));
    reader.settle();
    stop();
    expect(events).toContainEqual(
      expect.objectContaining({ type: 'text', engine: 'automerge', origin: 'remote' }),
    );
    const text = reader.textSlice('automerge');
    expect(text).toBe('');
    // Placed at the end of the text read after settling: accepted, and where it was meant to go.
    await reader.apply({ op: 'text.insert', pos: text.length, text: 'x' });
    timers.advance(1_000);
    held.run();
    for (const replica of [writer, reader])
      for (const engine of ['converge', 'automerge'] as const) expect(replica.textSlice(engine)).toBe('x');
    await Promise.all([writer.close(), reader.close()]);
  });
});
