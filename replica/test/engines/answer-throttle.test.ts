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
  QUIET_BYTES_PER_ROUND,
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

  it('answers a report of another state at once once the quiet rounds passed, and starts afresh', () => {
    const throttle = new AnswerThrottle();
    throttle.answer(HELLO);
    throttle.shipped(LARGE_BYTES);
    throttle.tick();
    expect(throttle.answer(OTHER)).toBe(false); // within the quiet rounds
    for (let r = 1; r < BASE_ROUNDS; r++) throttle.tick();
    expect(throttle.answer(OTHER)).toBe(true);
    // Nothing large went since the peer reported OTHER: its repeats are answered.
    expect(throttle.answer(OTHER)).toBe(true);
  });

  it('holds every report, of any state, for the rounds after a large payload went', () => {
    // A peer that took in part of what is on its way (a paste in pieces) reports a new state; the rest
    // is still on the wire.
    const throttle = new AnswerThrottle();
    throttle.answer(HELLO);
    throttle.shipped(LARGE_BYTES);
    const answered: number[] = [];
    for (let r = 0; r < BASE_ROUNDS + 1; r++) {
      if (throttle.answer(new Uint8Array([9, r]))) answered.push(r);
      throttle.tick();
    }
    expect(answered).toEqual([BASE_ROUNDS]);
  });

  it('holds longer the more went: a megabyte, 11 rounds rather than 4', () => {
    const throttle = new AnswerThrottle();
    throttle.answer(HELLO);
    throttle.shipped(1024 * 1024);
    const answered: number[] = [];
    for (let r = 0; r < 12; r++) {
      if (throttle.answer(new Uint8Array([9, r]))) answered.push(r);
      throttle.tick();
    }
    expect(answered).toEqual([BASE_ROUNDS + Math.floor((1024 * 1024 - LARGE_BYTES) / QUIET_BYTES_PER_ROUND)]);
  });

  it('holds every report for the rounds after a large change reached the peer from another peer', () => {
    const throttle = new AnswerThrottle();
    throttle.answer(HELLO);
    // In pieces: the wait starts once they add up to a large change, and again with each one after.
    throttle.arriving(LARGE_BYTES / 2);
    expect(throttle.answer(OTHER)).toBe(true);
    throttle.arriving(LARGE_BYTES / 2);
    throttle.tick();
    throttle.arriving(LARGE_BYTES / 2);
    const answered: number[] = [];
    for (let r = 0; r < BASE_ROUNDS + 1; r++) {
      if (throttle.answer(r % 2 === 0 ? HELLO : OTHER)) answered.push(r);
      throttle.tick();
    }
    expect(answered).toEqual([BASE_ROUNDS]);
  });
});
