/**
 * A sync protocol must go quiet when there is nothing it can do: after a lost frame, a session may wait for
 * anti-entropy to repair the gap, but it must not keep two peers answering each other (a livelock that
 * chaos duplication turns into an exponential storm). Then anti-entropy repairs the gap.
 */
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../src/engines/index.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

describe('sync sessions go quiet after a lost frame, and anti-entropy repairs it', () => {
  it.each(ENGINES.names)('%s', async (engine) => {
    const { clock, net, open } = simRoom({
      seed: 4,
      startMs: 1_700_000_000_000,
      latencyMs: 1,
      engines: ENGINES.only([engine]),
      antiEntropyMs: 10_000,
    });
    const a = await open('a');
    const b = await open('b');
    clock.advance(20);
    net.setChaos({ drop: 1 });
    await a.apply({ op: 'note.set', value: 'one' }); // its frame is lost
    clock.advance(20);
    net.setChaos(undefined);
    await a.apply({ op: 'note.set', value: 'two' });
    const before = net.stats().sent;
    clock.advance(2000); // 1000 round trips' worth of time, far less than the anti-entropy period
    const frames = net.stats().sent - before;
    expect(frames, `${engine} sent ${frames} frames after one edit`).toBeLessThan(20);
    clock.advance(10_000);
    expect(b.view(engine).note).toEqual(['two']);
    expect(b.digest(engine)).toBe(a.digest(engine));
    await a.close();
    await b.close();
  });
});
