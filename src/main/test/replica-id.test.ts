import { fcParams } from '@converge/crdt-core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assertSafeReplicaId, InvalidReplicaIdError, isSafeReplicaId, newReplicaId } from '../replica-id.ts';

describe('replica ids', () => {
  it('accepts short lowercase ids and rejects anything that could name another folder', () => {
    for (const ok of ['a', 'r1', 'abc-123', 'x'.repeat(64)]) expect(isSafeReplicaId(ok), ok).toBe(true);
    for (const bad of [
      '',
      '-a',
      '..',
      '.',
      'a/b',
      'a\\b',
      '../x',
      'A',
      'a b',
      'a\0',
      'x'.repeat(65),
      'é',
      42,
      null,
    ]) {
      expect(isSafeReplicaId(bad), String(bad)).toBe(false);
    }
  });

  it('never accepts a path separator or a dot, whatever the string', () => {
    fc.assert(
      fc.property(
        // Mostly-safe characters with dangerous ones mixed in, so both outcomes occur often.
        fc.string({
          unit: fc.constantFrom('a', 'q', 'z', '0', '9', '-', '.', '/', '\\', 'A', ' ', '\0'),
          maxLength: 70,
        }),
        (s) => !isSafeReplicaId(s) || (!/[/\\.\0]/.test(s) && s.length > 0 && s.length <= 64),
      ),
      fcParams(200, 5000),
    );
  });

  it('explains what a valid id looks like', () => {
    expect(() => assertSafeReplicaId('../etc')).toThrow(InvalidReplicaIdError);
    expect(() => assertSafeReplicaId('../etc')).toThrow(/invalid replica id "\.\.\/etc".*a-z, 0-9/);
    expect(() => assertSafeReplicaId(7)).toThrow(/invalid replica id number/);
  });

  it('generates safe ids from random bytes, deterministically, skipping biased bytes', () => {
    const bytes = (values: number[]) => () => Uint8Array.from(values);
    // 0→a 1→b 25→z 26→0 35→9 36→a 251→9; 252 and 255 are rejected; 71→9; then a refill gives "ab".
    expect(newReplicaId(bytes([0, 1, 25, 26, 35, 36, 251, 252, 255, 71]))).toBe('abz09a99ab');
  });

  it('gives every character of the alphabet and survives a byte source that returns nothing', () => {
    let next = 0;
    const counting = (n: number) => Uint8Array.from({ length: n }, () => next++ % 256);
    const seen = new Set<string>();
    for (let i = 0; i < 30; i++) for (const c of newReplicaId(counting)) seen.add(c);
    expect(seen.size).toBe(36);
    expect(() => newReplicaId(() => new Uint8Array(0))).toThrow(/no bytes/);
  });
});
