// Chaos through the relay over real sockets, on a manual clock: the same seed replays the same
// drops, duplicates and order, link by link.

import { testSeed } from '@converge/crdt-core/testing';
import { VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { closeRelaysAfterEach, payloadText, RawClient, startRelay, text, waitFor } from './support.ts';

closeRelaysAfterEach();

const FRAMES = 300;

describe('chaos through the relay', () => {
  it('replays the same deliveries from the same seed', async () => {
    const seed = testSeed();
    const clock = new VirtualClock(1_000_000);
    const { relay: r } = await startRelay({ clock });
    const config = {
      seed,
      dropRate: 0.15,
      duplicateRate: 0.15,
      reorderWindow: 4,
      reorderHoldMs: 10,
      delayMs: 5,
      jitterMs: 30,
    };

    /** One run in its own room: a broadcasts FRAMES frames to b and c; returns what each received. */
    const runIn = async (room: string): Promise<{ b: string[]; c: string[] }> => {
      r.setChaos(room, null, config);
      const a = await RawClient.join(r, room, 'a');
      const b = await RawClient.join(r, room, 'b');
      const c = await RawClient.join(r, room, 'c');
      for (let i = 0; i < FRAMES; i++) a.data('a', null, 0, text(String(i)));
      const delivered = (to: string): number => link(to)?.channels[0]?.frames ?? -1;
      const link = (to: string) => r.traffic(room)?.find((t) => t.from === 'a' && t.to === to);
      // Everything reached the relay before time moves, so timing cannot influence the outcome.
      await waitFor(
        () => link('b')?.offered === FRAMES && link('c')?.offered === FRAMES,
        'frames at the relay',
      );
      // Past every delay and hold (not so far that the manual clock's heartbeats reap the clients).
      clock.advance(1000);
      await waitFor(
        () => b.of('data').length === delivered('b') && c.of('data').length === delivered('c'),
        'deliveries',
      );
      return { b: b.of('data').map(payloadText), c: c.of('data').map(payloadText) };
    };

    const first = await runIn('run-1');
    const second = await runIn('run-2');
    expect(second, `seed ${seed}`).toEqual(first);
    // Chaos did act: something was dropped, duplicated and reordered, and b's link differs from c's.
    for (const received of [first.b, first.c]) {
      const unique = new Set(received);
      expect(unique.size, `seed ${seed}`).toBeLessThan(FRAMES);
      expect(received.length, `seed ${seed}`).toBeGreaterThan(unique.size);
      const numbers = received.map(Number);
      expect(numbers, `seed ${seed}`).not.toEqual([...numbers].sort((x, y) => x - y));
    }
    expect(first.b, `seed ${seed}`).not.toEqual(first.c);
    const t = r.traffic('run-1')?.find((l) => l.to === 'b');
    expect(t?.dropped.chaos).toBe(FRAMES - new Set(first.b).size);
    expect(t?.duplicated).toBe(first.b.length - new Set(first.b).size);
  });

  it('per-link chaos overrides the room, and frames held across a cut are not delivered after the heal', async () => {
    const clock = new VirtualClock(0);
    const { relay: r } = await startRelay({ clock });
    const a = await RawClient.join(r, 'room', 'a');
    const b = await RawClient.join(r, 'room', 'b');
    const c = await RawClient.join(r, 'room', 'c');
    r.setChaos('room', { from: 'a', to: 'b' }, parseDelay(1000));
    expect(r.room('room')?.chaos.links).toEqual([{ from: 'a', to: 'b', config: parseDelay(1000) }]);
    a.data('a', null, 1, text('held'));
    await c.waitFor((f) => payloadText(f) === 'held', 'c without chaos');
    await waitFor(() => r.room('room')?.delayedFrames === 1, 'held for b');
    r.applyLinks('room', { op: 'cut', from: 'a', to: 'b' });
    r.applyLinks('room', { op: 'heal', from: 'a', to: 'b' });
    clock.advance(2000);
    a.data('a', 'b', 1, text('after'));
    const ab = () => r.traffic('room')?.find((l) => l.from === 'a' && l.to === 'b');
    await waitFor(() => ab()?.offered === 2, 'second frame at the relay');
    clock.advance(2000);
    await b.waitFor((f) => payloadText(f) === 'after', 'b gets the new frame');
    expect(b.of('data').map(payloadText)).toEqual(['after']);
    expect(ab()?.dropped.stale).toBe(1);
    r.setChaos('room', { from: 'a', to: 'b' }, null);
    expect(r.room('room')?.chaos).toEqual({ room: null, links: [] });
  });
});

function parseDelay(delayMs: number) {
  return {
    delayMs,
    jitterMs: 0,
    dropRate: 0,
    duplicateRate: 0,
    reorderWindow: 1,
    reorderHoldMs: 50,
    seed: 1,
  };
}
