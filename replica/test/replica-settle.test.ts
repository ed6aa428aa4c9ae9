/**
 * An engine that puts off peers' changes (Automerge) takes them in when the replica settles: before a
 * caller reads the text it places an edit in. A caller that read the text first placed its edit in an
 * older text than the one `apply` placed it in (a CI run of the convergence harness over a real relay:
 * an insert at the end of a text a queued delete had emptied).
 */
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../src/engines/index.ts';
import type { ReplicaEvent } from '../src/replica.ts';
import { HeldDefers } from '../testing/held-defers.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

describe('Replica.settle', () => {
  it('takes in what Automerge put off, reporting it before it returns, so an edit is placed in that text', async () => {
    const held = new HeldDefers();
    const both = ENGINES.only(['converge', 'automerge']);
    const { clock: timers, open } = simRoom({ seed: 11, antiEntropyMs: 0, engines: both });
    const writer = await open('writer');
    const reader = await open('reader', { engines: held.registry(both, ['automerge']) });
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
  });
});
