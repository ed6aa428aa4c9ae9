import { describe, expect, it } from 'vitest';
import { frameThrottle } from '../logic/frame-throttle.ts';

/** A stepped clock, its timers and its animation frames, run by hand. */
function harness(interval: number) {
  let time = 0;
  const frames: (() => void)[] = [];
  let timers: { at: number; callback: () => void }[] = [];
  const schedule = frameThrottle({
    interval,
    now: () => time,
    requestFrame: (callback) => frames.push(callback),
    setTimer: (callback, ms) => timers.push({ at: time + ms, callback }),
  });
  const step = (ms: number): void => {
    time += ms;
    const due = timers.filter((t) => t.at <= time);
    timers = timers.filter((t) => t.at > time);
    for (const t of due) t.callback();
  };
  const frame = (): void => {
    for (const callback of frames.splice(0)) callback();
  };
  return { schedule, step, frame, pending: () => frames.length + timers.length };
}

describe('frameThrottle', () => {
  it('runs the first request in the next frame', () => {
    const h = harness(200);
    const runs: number[] = [];
    h.step(1_000);
    h.schedule(() => runs.push(1));
    expect(runs).toEqual([]);
    h.frame();
    expect(runs).toEqual([1]);
  });

  it('runs a request made within the interval once the interval has passed, in a frame, never dropping it', () => {
    const h = harness(200);
    const runs: string[] = [];
    h.schedule(() => runs.push('first'));
    h.frame();
    h.step(16);
    h.schedule(() => runs.push('second'));
    h.frame();
    h.step(100);
    h.frame();
    expect(runs).toEqual(['first']);
    h.step(84);
    expect(runs).toEqual(['first']);
    h.frame();
    expect(runs).toEqual(['first', 'second']);
    expect(h.pending()).toBe(0);
  });

  it('measures the interval from the start of the previous run', () => {
    const h = harness(200);
    const runs: number[] = [];
    h.schedule(() => runs.push(1));
    h.step(50);
    h.frame();
    h.step(200);
    h.schedule(() => runs.push(2));
    h.frame();
    expect(runs).toEqual([1, 2]);
  });
});
