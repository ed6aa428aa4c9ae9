import { DecodeError } from '@converge/crdt-core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeReplicaMessage,
  encodePresenceMessage,
  MAX_PRESENCE_NAME_LENGTH,
  type PresenceState,
  ProtocolError,
  presenceProblem,
  ReplicaMessageKind,
} from '../src/index.ts';

const arbPresence: fc.Arbitrary<PresenceState> = fc.record({
  seq: fc.maxSafeNat(),
  name: fc.string({ maxLength: MAX_PRESENCE_NAME_LENGTH }),
  colour: fc.integer({ min: 0, max: 0xffffff }).map((n) => `#${n.toString(16).padStart(6, '0')}`),
  panel: fc.constantFrom('', 'cart', 'text', 'compare'),
  caret: fc.option(fc.record({ field: fc.constantFrom('text', 'notes'), anchor: fc.nat(), head: fc.nat() }), {
    nil: null,
  }),
});

const valid: PresenceState = { seq: 3, name: 'Alice', colour: '#3366cc', panel: 'text', caret: null };

describe('presence messages', () => {
  it('round-trip every valid state', () => {
    fc.assert(
      fc.property(arbPresence, (state) => {
        const bytes = encodePresenceMessage(state);
        expect(bytes[0]).toBe(ReplicaMessageKind.Presence);
        expect(decodeReplicaMessage(bytes)).toEqual({ kind: 'presence', presence: state });
      }),
    );
  });

  it('refuse invalid states when encoding and decoding', () => {
    const bad: PresenceState[] = [
      { ...valid, seq: -1 },
      { ...valid, name: 'x'.repeat(MAX_PRESENCE_NAME_LENGTH + 1) },
      { ...valid, colour: 'red' },
      { ...valid, colour: '#ABCDEF' },
      { ...valid, caret: { field: '', anchor: 0, head: 0 } },
      { ...valid, caret: { field: 'text', anchor: -1, head: 0 } },
      { ...valid, caret: { field: 'text', anchor: 0.5, head: 0 } },
    ];
    for (const state of bad) {
      expect(presenceProblem(state)).toBeDefined();
      expect(() => encodePresenceMessage(state)).toThrow(ProtocolError);
    }
    const good = encodePresenceMessage(valid);
    // A flag other than 0/1, a truncated message, trailing bytes, an uppercase colour on the wire.
    const flag = good.slice();
    flag[flag.length - 1] = 7;
    const upper = encodePresenceMessage({ ...valid, colour: '#3366cc' });
    upper.set(new TextEncoder().encode('#3366CC'), upper.indexOf(0x23));
    for (const bytes of [flag, good.subarray(0, good.length - 1), Uint8Array.of(...good, 0), upper]) {
      expect(() => decodeReplicaMessage(bytes)).toThrow(DecodeError);
    }
  });
});
