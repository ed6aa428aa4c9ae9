import { describe, expect, it } from 'vitest';
import { every, VirtualClock } from '../src/timers.ts';

describe('VirtualClock', () => {
  it('runs timers in (time, scheduling order) and only when time is advanced', () => {
    const clock = new VirtualClock(100);
    const ran: string[] = [];
    clock.setTimeout(() => ran.push('b@20'), 20);
    clock.setTimeout(() => ran.push('a@10'), 10);
    clock.setTimeout(() => ran.push('c@20'), 20);
    clock.setTimeout(() => ran.push('d@0'), -5);
    expect(ran).toEqual([]);
    clock.advance(15);
    expect(ran).toEqual(['d@0', 'a@10']);
    expect(clock.now()).toBe(115);
    clock.advance(5);
    expect(ran).toEqual(['d@0', 'a@10', 'b@20', 'c@20']);
    expect(clock.pending()).toBe(0);
  });

  it('runs timers scheduled by timers within the same advance, at their own time', () => {
    const clock = new VirtualClock();
    const times: number[] = [];
    clock.setTimeout(() => {
      times.push(clock.now());
      clock.setTimeout(() => times.push(clock.now()), 5);
    }, 5);
    clock.advance(10);
    expect(times).toEqual([5, 10]);
  });

  it('cancels timers, idempotently', () => {
    const clock = new VirtualClock();
    let ran = 0;
    const cancel = clock.setTimeout(() => ran++, 1);
    clock.setTimeout(() => ran++, 2);
    cancel();
    cancel();
    expect(clock.pending()).toBe(1);
    clock.advance(5);
    expect(ran).toBe(1);
    expect(clock.pending()).toBe(0);
  });

  it('keeps order across many random timers (heap)', () => {
    const clock = new VirtualClock();
    const due: number[] = [];
    const ran: number[] = [];
    for (let i = 0; i < 500; i++) {
      const ms = (i * 7919) % 101;
      due.push(ms);
      clock.setTimeout(() => ran.push(ms), ms);
    }
    clock.advance(200);
    expect(ran).toEqual([...due].sort((a, b) => a - b));
  });

  it('runUntil stops when the condition holds and fails loudly when it never does', () => {
    const clock = new VirtualClock();
    let n = 0;
    const stop = every(clock, 10, () => n++);
    clock.runUntil(() => n === 3, 1000);
    expect(clock.now()).toBe(30);
    expect(() => clock.runUntil(() => false, 100)).toThrow(/did not hold within 100/);
    stop();
    expect(() => clock.runUntil(() => false, 100)).toThrow(/idle/);
  });

  it('every() repeats until cancelled and rejects a non-positive period', () => {
    const clock = new VirtualClock();
    let n = 0;
    const cancel = every(clock, 100, () => n++);
    clock.advance(350);
    expect(n).toBe(3);
    cancel();
    clock.advance(1000);
    expect(n).toBe(3);
    expect(clock.pending()).toBe(0);
    expect(() => every(clock, 0, () => {})).toThrow(RangeError);
  });
});
