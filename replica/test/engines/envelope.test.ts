/** The checksummed envelope: round trip, and every corruption is a DecodeError. */
import { DecodeError } from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';
import { seal, sealedMessageKind, unseal } from '../../src/engines/kit/envelope.ts';

const KIND = 1;
const OTHER_KIND = 2;

describe('envelope', () => {
  const body = new TextEncoder().encode('a body of some length, to corrupt byte by byte');
  const sealed = seal(KIND, body);

  it('round-trips, including an empty body', () => {
    expect(unseal(sealed, KIND)).toEqual(body);
    expect(unseal(seal(OTHER_KIND, new Uint8Array(0)), OTHER_KIND)).toEqual(new Uint8Array(0));
  });

  it('detects every single-bit flip and every truncation', () => {
    for (let i = 0; i < sealed.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        const flipped = sealed.slice();
        flipped[i] = (flipped[i] as number) ^ (1 << bit);
        expect(() => unseal(flipped, KIND), `byte ${i} bit ${bit}`).toThrow(DecodeError);
      }
    }
    for (let n = 0; n < sealed.length; n++) {
      expect(() => unseal(sealed.slice(0, n), KIND), `length ${n}`).toThrow(DecodeError);
    }
  });

  it('refuses another kind and non-byte input with a clear message', () => {
    expect(() => unseal(sealed, OTHER_KIND)).toThrow(/expected envelope kind 2, found 1/);
    expect(() => unseal('x' as unknown as Uint8Array, KIND)).toThrow(DecodeError);
  });

  it("names a sealed message by its body's first byte for the wire log, and never throws", () => {
    const names = { 1: 'hello', 2: 'update' };
    expect(sealedMessageKind(seal(KIND, Uint8Array.of(2, 9, 9)), KIND, names)).toBe('update');
    expect(sealedMessageKind(seal(KIND, Uint8Array.of(7)), KIND, names)).toBe('unrecognised');
    expect(sealedMessageKind(seal(KIND, new Uint8Array(0)), KIND, names)).toBe('unrecognised');
    expect(sealedMessageKind(seal(OTHER_KIND, Uint8Array.of(1)), KIND, names)).toBe('unrecognised');
    expect(sealedMessageKind(Uint8Array.of(0x43, 0x45, 1), KIND, names)).toBe('unrecognised');
    expect(sealedMessageKind('x' as unknown as Uint8Array, KIND, names)).toBe('unrecognised');
    const otherVersion = seal(KIND, Uint8Array.of(1));
    otherVersion[2] = 9;
    expect(sealedMessageKind(otherVersion, KIND, names)).toBe('unrecognised');
  });

  it('names a message without verifying its checksum (the wire log reads every frame; the engine verifies)', () => {
    const names = { 1: 'hello', 2: 'update' };
    const damaged = seal(KIND, Uint8Array.of(2, 9, 9));
    damaged[6] = (damaged[6] as number) ^ 0xff; // the body, after its first byte: the checksum no longer matches
    expect(() => unseal(damaged, KIND)).toThrow(DecodeError);
    expect(sealedMessageKind(damaged, KIND, names)).toBe('update');
  });
});
