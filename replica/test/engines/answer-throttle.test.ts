/**
 * The answer throttle's rule on its own (issue 19): a repeated report of the same peer state waits a
 * back-off only once a large amount went to the peer; the back-off doubles and stays bounded.
 */
import { describe, expect, it } from 'vitest';
import {
  AnswerThrottle,
  BASE_ROUNDS,
  LARGE_BYTES,
  MAX_ROUNDS,
} from '../../src/engines/kit/answer-throttle.ts';

const HELLO = new Uint8Array([1, 2, 3]);
const OTHER = new Uint8Array([1, 2, 4]);

/** The rounds (0 = now) at which `hello`, reported once per round, is answered over `rounds` rounds. */
function answeredRounds(throttle: AnswerThrottle, rounds: number): number[] {
  const answered: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (throttle.answer(HELLO)) answered.push(r);
    throttle.tick();
  }
  return answered;
}

describe('AnswerThrottle', () => {
  it('answers every report while little went to the peer', () => {
    const throttle = new AnswerThrottle();
    throttle.shipped(LARGE_BYTES - 1);
    expect(answeredRounds(throttle, 5)).toEqual([0, 1, 2, 3, 4]);
  });

  it('holds back a repeated answer once a large one is on its way, doubling up to the bound', () => {
    const throttle = new AnswerThrottle();
    expect(throttle.answer(HELLO)).toBe(true);
    throttle.shipped(LARGE_BYTES);
    const answered = answeredRounds(throttle, 200);
    const gaps = answered.slice(1).map((r, i) => r - (answered[i] as number));
    expect(answered[0]).toBe(BASE_ROUNDS);
    expect(gaps.slice(0, 3)).toEqual([BASE_ROUNDS * 2, BASE_ROUNDS * 4, BASE_ROUNDS * 8]);
    expect(Math.max(...gaps)).toBe(MAX_ROUNDS);
  });

  it('answers a report of another state at once, and starts the back-off afresh', () => {
    const throttle = new AnswerThrottle();
    throttle.answer(HELLO);
    throttle.shipped(LARGE_BYTES);
    expect(throttle.answer(HELLO)).toBe(false);
    expect(throttle.answer(OTHER)).toBe(true);
    // Nothing large went since the peer reported OTHER: its repeats are answered.
    expect(throttle.answer(OTHER)).toBe(true);
  });
});
