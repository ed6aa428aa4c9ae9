/**
 * Dropped frames never cause lasting divergence (issue 19): replicas typing into a large text through
 * slow consumers that drop frames for backpressure, then at rest: anti-entropy repairs every engine, LWW
 * included (which used to send the whole text per keystroke and stayed "differs" for good).
 */
import { describe, expect, it } from 'vitest';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

const TEXT = 'The quick brown fox jumps over the lazy dog. '.repeat(180); // ~8 KB

describe('dropped frames under load', () => {
  it('every engine converges once the load stops, though the relay dropped frames for backpressure', async () => {
    const { clock, net, open } = simRoom({
      seed: 19,
      startMs: 1_700_000_000_000,
      latencyMs: 5,
      // 20 KB/s per receiver; frames to it dropped while more than 16 KB wait, and disconnected as a slow
      // consumer after 5 s of that (the relay's rules, scaled down).
      backpressure: { bytesPerMs: 20, maxQueuedBytes: 16 * 1024, slowConsumerMs: 5000, reconnectMs: 1000 },
    });
    const ids = ['a', 'b', 'c'];
    const replicas = await Promise.all(ids.map((id) => open(id)));
    const [a, b] = replicas as [NonNullable<(typeof replicas)[0]>, NonNullable<(typeof replicas)[0]>];
    await a.apply({ op: 'text.insert', pos: 0, text: TEXT });
    clock.advance(20_000);
    // Two people type at once, a keystroke every 40 ms each, for about 5 seconds.
    for (let k = 0; k < 60; k++) {
      await a.apply({ op: 'text.insert', pos: 100 + k, text: 'a' });
      clock.advance(20);
      await b.apply({ op: 'text.insert', pos: b.textLength(b.primary), text: 'b' });
      clock.advance(20);
    }
    expect(net.stats().backpressure, 'the load made the network drop frames').toBeGreaterThan(0);
    // At rest: anti-entropy rounds (every 2 s) repair what was dropped.
    clock.advance(90_000);
    for (const engine of a.engineNames) {
      const digests = replicas.map((r) => r.digest(engine));
      expect(new Set(digests).size, `${engine}: ${digests.join(' ')}`).toBe(1);
      for (const replica of replicas) expect(replica.convergence()[engine]?.differ).toEqual([]);
    }
  }, 120_000);
});
