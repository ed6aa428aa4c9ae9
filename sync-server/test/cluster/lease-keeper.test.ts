// The lease keeper on a virtual clock: renewals keep it, a refusal or silence ends it on time, and a
// node that wakes from a pause gives the lease up before trusting it (or renewing it).
import { type Timers, VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { type LeaseEnd, LeaseKeeper, leaseTerms, type RenewOutcome } from '../../src/cluster/index.ts';

const terms = leaseTerms(3000); // renew every 1000 ms, stop trusting 300 ms early

/** Let promise callbacks (the renewal's answer) run. */
const settle = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function keeper(clock: Timers, answer: () => Promise<RenewOutcome>) {
  const ends: { why: LeaseEnd; at: number }[] = [];
  let renewals = 0;
  const lease = new LeaseKeeper(
    terms,
    clock,
    clock.now(),
    () => {
      renewals++;
      return answer();
    },
    (why) => ends.push({ why, at: clock.now() }),
  );
  return { lease, ends, renewals: () => renewals };
}

/**
 * A process that can be stopped: `pause(ms)` makes its clock jump by `ms` while its timers stay where
 * they were, so they fire late, all at once, as after SIGSTOP.
 */
function pausableClock() {
  const inner = new VirtualClock();
  let paused = 0;
  const clock: Timers = {
    now: () => inner.now() + paused,
    setTimeout: (cb, ms) => inner.setTimeout(cb, ms),
  };
  return { inner, clock, pause: (ms: number) => (paused += ms) };
}

describe('lease terms', () => {
  it('renews three times per TTL and refuses absurd TTLs', () => {
    expect(terms).toEqual({ ttlMs: 3000, renewEveryMs: 1000, marginMs: 300 });
    expect(leaseTerms(500).marginMs).toBe(50);
    expect(() => leaseTerms(100)).toThrow(RangeError);
    expect(() => leaseTerms(1000.5)).toThrow(RangeError);
  });
});

describe('LeaseKeeper', () => {
  it('holds as long as every renewal is confirmed', async () => {
    const clock = new VirtualClock();
    const k = keeper(clock, async () => 'renewed');
    for (let t = 0; t < 30; t++) {
      clock.advance(1000);
      await settle();
      expect(k.lease.isHeld()).toBe(true);
    }
    expect(k.renewals()).toBe(30);
    expect(k.ends).toEqual([]);
    // Valid until the last confirmed renewal's send time + TTL - margin.
    expect(k.lease.heldUntil()).toBe(30_000 + 3000 - 300);
  });

  it('ends at once, as taken, when the storage refuses a renewal', async () => {
    const clock = new VirtualClock();
    const k = keeper(clock, async () => 'refused');
    clock.advance(1000);
    await settle();
    expect(k.ends).toEqual([{ why: 'taken', at: 1000 }]);
    expect(k.lease.isHeld()).toBe(false);
  });

  it('expires exactly TTL minus margin after the last confirmation when renewals go unanswered', async () => {
    const clock = new VirtualClock();
    const k = keeper(clock, () => new Promise<RenewOutcome>(() => {}));
    clock.advance(2699);
    await settle();
    expect(k.lease.isHeld()).toBe(true);
    clock.advance(1);
    expect(k.lease.isHeld()).toBe(false);
    expect(k.ends).toEqual([{ why: 'expired', at: 2700 }]);
    // One renewal was out and never answered: no second one piled up behind it.
    expect(k.renewals()).toBe(1);
  });

  it('keeps trying through failed calls and extends when one gets through in time', async () => {
    const clock = new VirtualClock();
    let outcome: RenewOutcome = 'failed';
    const k = keeper(clock, async () => {
      if (outcome === 'failed') throw new Error('connection reset');
      return outcome;
    });
    clock.advance(2000);
    await settle();
    expect(k.lease.heldUntil()).toBe(2700);
    outcome = 'renewed';
    clock.advance(500); // the round at 2000 failed; the next is at 3000: too late
    clock.advance(200);
    await settle();
    expect(k.ends).toEqual([{ why: 'expired', at: 2700 }]);
  });

  it('does not come back to life when a confirmation arrives after the lease passed', async () => {
    const clock = new VirtualClock();
    let answer: (outcome: RenewOutcome) => void = () => {};
    const k = keeper(clock, () => new Promise<RenewOutcome>((resolve) => (answer = resolve)));
    clock.advance(1000); // renewal sent at 1000
    clock.advance(1800); // 2800 > 2700: expired while waiting
    expect(k.ends.map((e) => e.why)).toEqual(['expired']);
    answer('renewed'); // would have made it valid until 3700
    await settle();
    expect(k.lease.isHeld()).toBe(false);
    expect(k.ends).toHaveLength(1);
  });

  it('after a pause longer than the lease, gives it up at the first tick without renewing', async () => {
    const { inner, clock, pause } = pausableClock();
    const k = keeper(clock, async () => 'renewed');
    inner.advance(500);
    pause(10_000);
    inner.advance(500); // the renewal round is due
    await settle();
    expect(k.ends).toEqual([{ why: 'expired', at: 11_000 }]);
    expect(k.renewals()).toBe(0);
  });

  it('stops renewing once released, and says so once', async () => {
    const clock = new VirtualClock();
    const k = keeper(clock, async () => 'renewed');
    clock.advance(1000);
    await settle();
    k.lease.release();
    k.lease.release();
    clock.advance(10_000);
    await settle();
    expect(k.renewals()).toBe(1);
    expect(k.ends).toEqual([{ why: 'released', at: 1000 }]);
    expect(k.lease.end()).toBe('released');
  });

  it('a release after a pause longer than the lease says the lease expired, not released', async () => {
    const { inner, clock, pause } = pausableClock();
    const k = keeper(clock, async () => 'renewed');
    inner.advance(500);
    pause(10_000);
    // Woken, the node handles its closed sockets before its timers: the room empties, it lets the lease go.
    k.lease.release();
    expect(k.ends).toEqual([{ why: 'expired', at: 10_500 }]);
    expect(k.lease.end()).toBe('expired');
  });
});
