import { describe, expect, it } from 'vitest';
import { TokenBucket } from '../src/token-bucket.ts';

describe('TokenBucket', () => {
  it('allows the burst at once, then the rate', () => {
    const bucket = new TokenBucket(10, 5, 0);
    const taken = Array.from({ length: 8 }, () => bucket.take(0));
    expect(taken.filter(Boolean)).toHaveLength(5);
    expect(bucket.take(50)).toBe(false); // half a token
    expect(bucket.take(100)).toBe(true);
    // A long pause refills to the burst, not beyond.
    let n = 0;
    while (bucket.take(10_000)) n++;
    expect(n).toBe(5);
  });

  it('charges what was let through into debt, which the rate pays back before the next take', () => {
    const bucket = new TokenBucket(10, 5, 0);
    expect(bucket.take(0)).toBe(true);
    bucket.charge(0, 9); // 4 left, 9 more owed: 5 in debt
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(500)).toBe(false); // back to 0
    expect(bucket.take(600)).toBe(true);
  });

  it('does not refill when the clock steps back', () => {
    const bucket = new TokenBucket(1000, 1, 1000);
    expect(bucket.take(1000)).toBe(true);
    expect(bucket.take(0)).toBe(false);
    expect(bucket.take(0)).toBe(false);
  });
});
