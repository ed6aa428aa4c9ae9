// Malformed and random input from one client while two others exchange data: the relay stays up,
// the others lose nothing, the offender gets error frames and is closed where the limits say so.

import { SeededRandom } from '@converge/crdt-core';
import { budget, testSeed } from '@converge/crdt-core/testing';
import { CloseCode, encodeData, encodeFrame, type Frame, PROTOCOL_VERSION } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import {
  closeRelaysAfterEach,
  credentialFor,
  payloadText,
  RawClient,
  startRelay,
  text,
  waitFor,
} from './support.ts';

closeRelaysAfterEach();

const MAX_FRAME = 16 * 1024;

function randomId(random: SeededRandom): string {
  const chars = 'abcdefghijklmnopqrstuvwxyz0123456789._:@-';
  let id = 'x';
  for (let i = random.int(0, 8); i > 0; i--) id += random.pick([...chars]);
  return id;
}

function validFrame(random: SeededRandom): Frame {
  const id = randomId(random);
  switch (random.int(0, 5)) {
    case 0:
      return {
        type: 'hello',
        version: random.int(0, PROTOCOL_VERSION),
        room: 'room',
        nodeId: id,
        role: 'replica',
        token: '',
      };
    case 1:
      return {
        type: 'welcome',
        room: 'room',
        nodeId: id,
        peers: [{ id, role: 'tool', reachable: true }],
        maxFrameBytes: 9,
        rights: ['read'],
      };
    case 2:
      return { type: 'link-up', peer: id, role: 'storage', reason: 'healed' };
    case 3:
      return { type: 'link-down', peer: id, reason: 'cut' };
    case 4:
      return { type: 'error', code: 'internal', message: 'from a client?' };
    default: {
      const to = random.pick([null, 'alice', 'bob', id]);
      const payload = new Uint8Array(random.int(0, 40)).map(() => random.int(0, 255));
      return {
        type: 'data',
        from: random.chance(0.7) ? 'offender' : 'alice',
        to,
        channel: random.int(0, 255),
        payload,
      };
    }
  }
}

/** One hostile message: random bytes, a mutated or misplaced valid frame, text, or an oversize frame. */
function hostileMessage(random: SeededRandom): Uint8Array | string {
  const kind = random.int(0, 99);
  if (kind < 25) return new Uint8Array(random.int(0, 48)).map(() => random.int(0, 255));
  if (kind < 30) return random.pick(['', 'hello', '{"type":"hello"}', '\u0000\u0001']);
  if (kind < 31) return new Uint8Array(MAX_FRAME + random.int(1, 1000));
  if (kind < 36) {
    // A length prefix promising far more than follows.
    return new Uint8Array([random.int(1, 6), 0xff, 0xff, 0xff, 0xff, 0x7f, random.int(0, 255)]);
  }
  const frame = encodeFrame(validFrame(random));
  if (kind < 55) return frame;
  const mutated = frame.slice();
  for (let flips = random.int(1, 3); flips > 0; flips--) {
    const at = random.int(0, mutated.length - 1);
    mutated[at] = (mutated[at] ?? 0) ^ (1 << random.int(0, 7));
  }
  if (kind < 80) return mutated;
  if (kind < 90) return frame.subarray(0, random.int(0, frame.length - 1));
  const extended = new Uint8Array(frame.length + random.int(1, 8));
  extended.set(frame);
  return extended;
}

const EXPECTED_CLOSE_CODES = new Set<number>([
  1009,
  CloseCode.BadFrames,
  CloseCode.HelloRequired,
  CloseCode.ProtocolVersion,
  CloseCode.RateLimited,
  CloseCode.Replaced,
  CloseCode.Unauthorized,
]);

describe('hostile input', () => {
  it(
    'survives thousands of malformed and random frames while two nodes exchange data',
    async () => {
      const seed = testSeed();
      const random = new SeededRandom(seed);
      const total = budget(2000, 50_000);
      const { relay } = await startRelay({ logLevel: 'error', limits: { maxFrameBytes: MAX_FRAME } });
      const alice = await RawClient.join(relay, 'room', 'alice');
      const bob = await RawClient.join(relay, 'room', 'bob');
      // One credential for every offender connection: each replaces the previous one, if still there.
      const offenderToken = await credentialFor(relay, 'room', 'offender');

      const exchanged = 200;
      let sentByEach = 0;
      const exchange = (): void => {
        if (sentByEach >= exchanged) return;
        const n = sentByEach++;
        alice.sendBytes(encodeData('alice', n % 2 === 0 ? 'bob' : null, 1, text(`a${n}`)));
        bob.sendBytes(encodeData('bob', n % 3 === 0 ? null : 'alice', 0, text(`b${n}`)));
      };

      let sent = 0;
      let connections = 0;
      const closeCodes = new Map<number, number>();
      let errorFrames = 0;
      while (sent < total) {
        const offender = await RawClient.connect(relay.url);
        connections++;
        if (random.chance(0.8)) {
          offender.hello('room', 'offender', { token: offenderToken });
          await offender.waitFor((f) => f.type === 'welcome' || f.type === 'error', 'offender hello', 5000);
        }
        while (offender.closed === undefined && sent < total) {
          for (let i = random.int(1, 12); i > 0 && sent < total; i--, sent++) {
            offender.sendBytes(hostileMessage(random));
          }
          exchange();
          await new Promise((resolve) => setImmediate(resolve));
          if (offender.ws.readyState !== offender.ws.OPEN) break;
        }
        if (offender.closed === undefined) {
          // Still open after its share: let the relay answer what is in flight, then hang up.
          await new Promise((resolve) => setTimeout(resolve, 5));
          await offender.close();
        }
        const code = offender.closed?.code ?? -1;
        closeCodes.set(code, (closeCodes.get(code) ?? 0) + 1);
        errorFrames += offender.of('error').length;
        expect(offender.undecodable, `seed ${seed}`).toEqual([]);
      }
      while (sentByEach < exchanged) exchange();

      const context = `seed ${seed}, close codes ${JSON.stringify([...closeCodes])}`;
      const fromAlice = () =>
        bob
          .of('data')
          .filter((f) => f.from === 'alice')
          .map(payloadText);
      const fromBob = () =>
        alice
          .of('data')
          .filter((f) => f.from === 'bob')
          .map(payloadText);
      await waitFor(
        () => fromAlice().length === exchanged && fromBob().length === exchanged,
        context,
        10_000,
      );
      expect(fromAlice(), context).toEqual(Array.from({ length: exchanged }, (_, n) => `a${n}`));
      expect(fromBob(), context).toEqual(Array.from({ length: exchanged }, (_, n) => `b${n}`));
      expect(alice.closed, context).toBeUndefined();
      expect(bob.closed, context).toBeUndefined();

      // The offender was answered and thrown out, many times over.
      expect(errorFrames, context).toBeGreaterThan(connections);
      for (const [code] of closeCodes) {
        expect(EXPECTED_CLOSE_CODES.has(code) || code === 1000 || code === 1005, context).toBe(true);
      }
      expect(closeCodes.get(CloseCode.BadFrames) ?? 0, context).toBeGreaterThan(0);
      const violations = relay.stats().violations;
      expect(violations['bad-frame'], context).toBeGreaterThan(0);

      // Still serving: a newcomer joins and hears from alice.
      const carol = await RawClient.join(relay, 'room', 'carol');
      alice.sendBytes(encodeData('alice', 'carol', 3, text('welcome carol')));
      await carol.waitFor((f) => payloadText(f) === 'welcome carol', context);
      expect(relay.health().ok).toBe(true);
    },
    budget(30_000, 900_000),
  );
});
