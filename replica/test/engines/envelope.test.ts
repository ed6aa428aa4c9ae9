/** The checksummed envelope: round trip, and every corruption is a DecodeError. */
import { DecodeError } from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';
import { EnvelopeKind, seal, unseal } from '../../src/index.ts';

describe('envelope', () => {
  const body = new TextEncoder().encode('a body of some length, to corrupt byte by byte');
  const sealed = seal(EnvelopeKind.YjsUpdate, body);

  it('round-trips, including an empty body', () => {
    expect(unseal(sealed, EnvelopeKind.YjsUpdate)).toEqual(body);
    expect(unseal(seal(EnvelopeKind.LwwWrites, new Uint8Array(0)), EnvelopeKind.LwwWrites)).toEqual(
      new Uint8Array(0),
    );
  });

  it('detects every single-bit flip and every truncation', () => {
    for (let i = 0; i < sealed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = sealed.slice();
        flipped[i] = (flipped[i] as number) ^ (1 << bit);
        expect(() => unseal(flipped, EnvelopeKind.YjsUpdate), `byte ${i} bit ${bit}`).toThrow(DecodeError);
      }
    }
    for (let n = 0; n < sealed.length; n++) {
      expect(() => unseal(sealed.slice(0, n), EnvelopeKind.YjsUpdate), `length ${n}`).toThrow(DecodeError);
    }
  });

  it('refuses another kind and non-byte input with a clear message', () => {
    expect(() => unseal(sealed, EnvelopeKind.AutomergeUpdate)).toThrow(/expected envelope kind 2, found 1/);
    expect(() => unseal('x' as unknown as Uint8Array, EnvelopeKind.YjsUpdate)).toThrow(DecodeError);
  });
});
