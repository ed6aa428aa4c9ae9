import {
  compareHybridTimestamps,
  decodeHybridTimestamp,
  encodeHybridTimestamp,
  HybridLogicalClock,
  type HybridTimestamp,
  LamportClock,
  replicaId,
} from '@converge/crdt-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { fcParams } from './support/budget.ts';

describe('LamportClock', () => {
  it('ticks and jumps past what it observes', () => {
    const clock = new LamportClock();
    expect(clock.tick()).toBe(1);
    expect(clock.observe(10)).toBe(11);
    expect(clock.observe(3)).toBe(12);
    expect(clock.tick()).toBe(13);
    expect(clock.time).toBe(13);
    expect(() => clock.observe(-1)).toThrow(RangeError);
    expect(clock.time).toBe(13);
  });
});

/** A fake physical clock: each reading moves by a step that may be zero or negative (a clock reset). */
type Action =
  | { readonly kind: 'now' }
  | { readonly kind: 'observe'; readonly skewMs: number; readonly logical: number };

describe('HybridLogicalClock', () => {
  it('is strictly monotonic and causal under a stepping, skewed physical clock', () => {
    const action: fc.Arbitrary<Action> = fc.oneof(
      fc.constant({ kind: 'now' as const }),
      fc.record({
        kind: fc.constant('observe' as const),
        skewMs: fc.integer({ min: -5000, max: 5000 }),
        logical: fc.integer({ min: 0, max: 5 }),
      }),
    );
    const run = fc.array(fc.tuple(fc.integer({ min: -50, max: 100 }), action), { maxLength: 60 });
    fc.assert(
      fc.property(run, (script) => {
        let physical = 1_000_000;
        let maxSeenWall = 0;
        const clock = new HybridLogicalClock(replicaId('me'), () => physical);
        let last: HybridTimestamp | undefined;
        for (const [step, act] of script) {
          physical = Math.max(0, physical + step);
          let ts: HybridTimestamp;
          if (act.kind === 'now') {
            ts = clock.now();
          } else {
            const remote = {
              wallMs: Math.max(0, physical + act.skewMs),
              logical: act.logical,
              replica: replicaId('peer'),
            };
            maxSeenWall = Math.max(maxSeenWall, remote.wallMs);
            ts = clock.observe(remote);
            expect(compareHybridTimestamps(ts, remote)).toBeGreaterThan(0);
          }
          if (last) expect(compareHybridTimestamps(ts, last)).toBeGreaterThan(0);
          expect(ts.wallMs).toBeGreaterThanOrEqual(physical);
          // Bounded drift: never ahead of the largest physical or remote time seen.
          maxSeenWall = Math.max(maxSeenWall, physical);
          expect(ts.wallMs).toBeLessThanOrEqual(maxSeenWall);
          last = ts;
        }
      }),
      fcParams(),
    );
  });

  it('resets the logical counter when physical time moves on', () => {
    let physical = 100;
    const clock = new HybridLogicalClock(replicaId('me'), () => physical);
    expect(clock.now()).toMatchObject({ wallMs: 100, logical: 0 });
    expect(clock.now()).toMatchObject({ wallMs: 100, logical: 1 });
    physical = 90; // stepped back
    expect(clock.now()).toMatchObject({ wallMs: 100, logical: 2 });
    physical = 101;
    expect(clock.now()).toMatchObject({ wallMs: 101, logical: 0 });
  });

  it('refuses a remote clock beyond the drift limit and bad physical readings', () => {
    let physical = 1000;
    const clock = new HybridLogicalClock(replicaId('me'), () => physical, { maxDriftMs: 60_000 });
    const before = clock.now();
    expect(() => clock.observe({ wallMs: 1000 + 60_001, logical: 0, replica: replicaId('x') })).toThrow(
      RangeError,
    );
    expect(compareHybridTimestamps(clock.now(), before)).toBeGreaterThan(0);
    expect(clock.now().wallMs).toBe(1000); // unchanged by the refused timestamp
    physical = Number.NaN;
    expect(() => clock.now()).toThrow(TypeError);
  });

  it('timestamps round-trip through the binary codec', () => {
    const ts = { wallMs: 1_700_000_000_000, logical: 3, replica: replicaId('é') };
    expect(decodeHybridTimestamp(encodeHybridTimestamp(ts))).toEqual(ts);
  });
});
