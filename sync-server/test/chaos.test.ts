// Chaos on one link, on a manual clock: replayable from its seed, and doing what its config says.

import { testSeed } from '@converge/crdt-core/testing';
import { VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { type ChaosConfig, DelayQueue, LinkChaos, NO_CHAOS, parseChaosConfig } from '../src/chaos.ts';

interface Run {
  readonly delivered: { readonly item: number; readonly at: number }[];
  readonly copies: number[];
}

/** Push `count` frames through a link, `gapMs` apart, then let every timer run. */
function run(config: Partial<ChaosConfig>, count: number, gapMs = 1): Run {
  const clock = new VirtualClock(1000);
  const queue = new DelayQueue(clock);
  const delivered: { item: number; at: number }[] = [];
  const full = parseChaosConfig(config);
  const chaos = new LinkChaos<number>(full, full.seed, clock, queue, (item) =>
    delivered.push({ item, at: clock.now() }),
  );
  const copies: number[] = [];
  for (let i = 0; i < count; i++) {
    copies.push(chaos.submit(i).copies);
    clock.advance(gapMs);
  }
  clock.advance(120_000);
  expect(clock.pending()).toBe(0);
  return { delivered, copies };
}

describe('LinkChaos', () => {
  it('replays exactly from the same seed and differs with another seed', () => {
    const seed = testSeed();
    const config = {
      seed,
      dropRate: 0.2,
      duplicateRate: 0.2,
      reorderWindow: 4,
      reorderHoldMs: 5,
      delayMs: 3,
      jitterMs: 7,
    };
    const first = run(config, 400);
    const second = run(config, 400);
    expect(second, `seed ${seed}`).toEqual(first);
    const other = run({ ...config, seed: (seed + 1) >>> 0 }, 400);
    expect(other.delivered, `seed ${seed}`).not.toEqual(first.delivered);
  });

  it('drops and duplicates at about the configured rates, and delivers exactly the kept copies', () => {
    const seed = testSeed();
    const { delivered, copies } = run({ seed, dropRate: 0.3, duplicateRate: 0.25 }, 4000);
    const dropped = copies.filter((c) => c === 0).length;
    const duplicated = copies.filter((c) => c === 2).length;
    expect(dropped / 4000, `seed ${seed}`).toBeGreaterThan(0.26);
    expect(dropped / 4000, `seed ${seed}`).toBeLessThan(0.34);
    expect(duplicated / (4000 - dropped), `seed ${seed}`).toBeGreaterThan(0.21);
    expect(duplicated / (4000 - dropped), `seed ${seed}`).toBeLessThan(0.29);
    expect(delivered.length).toBe(copies.reduce((a, b) => a + b, 0));
    // Without delay or reordering, order is kept and duplicates are adjacent.
    const items = delivered.map((d) => d.item);
    expect(items).toEqual([...items].sort((a, b) => a - b));
  });

  it('reorders within the window only, and holds a frame at most reorderHoldMs', () => {
    const seed = testSeed();
    const window = 5;
    const { delivered } = run({ seed, reorderWindow: window, reorderHoldMs: 50 }, 2000, 0);
    const items = delivered.map((d) => d.item);
    expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    expect(items, `seed ${seed}`).not.toEqual([...items].sort((a, b) => a - b));
    // When the frame at output position p leaves, at most p + window frames have entered the buffer.
    items.forEach((item, position) => {
      expect(item, `seed ${seed} position ${position}`).toBeLessThanOrEqual(position + window - 1);
    });
    // Trickling frames: one every 20 ms with a 30 ms hold; nothing waits longer than the hold.
    const slow = run({ seed, reorderWindow: 10, reorderHoldMs: 30 }, 50, 20);
    slow.delivered.forEach(({ item, at }) => {
      const sentAt = 1000 + item * 20;
      expect(at - sentAt, `seed ${seed} item ${item}`).toBeLessThanOrEqual(30);
    });
  });

  it('delays by delayMs plus up to jitterMs', () => {
    const seed = testSeed();
    const { delivered } = run({ seed, delayMs: 40, jitterMs: 20 }, 300, 1);
    expect(delivered).toHaveLength(300);
    for (const { item, at } of delivered) {
      const latency = at - (1000 + item);
      expect(latency, `seed ${seed}`).toBeGreaterThanOrEqual(40);
      expect(latency, `seed ${seed}`).toBeLessThanOrEqual(60);
    }
    // Jitter larger than the gap between frames reorders them.
    const items = delivered.map((d) => d.item);
    expect(items, `seed ${seed}`).not.toEqual([...items].sort((a, b) => a - b));
  });

  it('validates configs', () => {
    expect(parseChaosConfig({})).toEqual(NO_CHAOS);
    expect(() => parseChaosConfig({ dropRate: 1.5 })).toThrow(/dropRate/);
    expect(() => parseChaosConfig({ reorderWindow: 2.5 })).toThrow(/integer/);
    expect(() => parseChaosConfig({ delayMs: -1 })).toThrow(/delayMs/);
    expect(() => parseChaosConfig({ seed: 'x' })).toThrow(/seed/);
    expect(() => parseChaosConfig({ dropRat: 0.1 })).toThrow(/unknown chaos field/);
    expect(() => parseChaosConfig(null)).toThrow(/object/);
  });
});

describe('DelayQueue', () => {
  it('runs due callbacks in time order, ties in submission order', () => {
    const clock = new VirtualClock();
    const queue = new DelayQueue(clock);
    const seen: string[] = [];
    queue.schedule(30, () => seen.push('c'));
    queue.schedule(10, () => seen.push('a1'));
    queue.schedule(10, () => seen.push('a2'));
    queue.schedule(0, () => seen.push('now'));
    queue.schedule(20, () => seen.push('b'));
    expect(seen).toEqual(['now']);
    clock.advance(15);
    expect(seen).toEqual(['now', 'a1', 'a2']);
    clock.advance(100);
    expect(seen).toEqual(['now', 'a1', 'a2', 'b', 'c']);
    expect(queue.size).toBe(0);
  });
});
