// The relay wire protocol: every frame round-trips, and no input makes the decoder do anything but
// return a valid frame or throw DecodeError.
import { DecodeError } from '@converge/crdt-core';
import { fcParams } from '@converge/crdt-core/testing';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  bundleEntryBytes,
  bundleHeaderBytes,
  dataEntries,
  decodeFrame,
  decodeReplicaMessage,
  digestProblem,
  ERROR_CODES,
  encodeBundle,
  encodeData,
  encodeDigestMessage,
  encodeFrame,
  encodeSyncMessage,
  type Frame,
  FrameBundler,
  FrameType,
  idProblem,
  LINK_DOWN_REASONS,
  LINK_UP_REASONS,
  MAX_CHANNEL,
  MAX_DIGEST_LENGTH,
  MAX_ID_LENGTH,
  MAX_TOKEN_LENGTH,
  NODE_ROLES,
  PROTOCOL_VERSION,
  ProtocolError,
  peekHelloVersion,
  ReplicaMessageKind,
  RIGHTS,
} from '../src/index.ts';

const idChars = 'abcXYZ019._:@-'.split('');
const arbId = fc
  .tuple(
    fc.constantFrom('a', 'Z', '7'),
    fc.array(fc.constantFrom(...idChars), { maxLength: MAX_ID_LENGTH - 1 }),
  )
  .map(([first, rest]) => first + rest.join(''));
const arbRole = fc.constantFrom(...NODE_ROLES);

const arbFrame: fc.Arbitrary<Frame> = fc.oneof(
  fc.record({
    type: fc.constant('hello' as const),
    version: fc.nat(),
    room: arbId,
    nodeId: arbId,
    role: arbRole,
    token: fc.string({ maxLength: 64 }),
  }),
  fc.record({
    type: fc.constant('welcome' as const),
    room: arbId,
    nodeId: arbId,
    peers: fc.array(fc.record({ id: arbId, role: arbRole, reachable: fc.boolean() }), { maxLength: 8 }),
    maxFrameBytes: fc.nat(),
    rights: fc.subarray([...RIGHTS]),
  }),
  fc.record({
    type: fc.constant('data' as const),
    from: arbId,
    to: fc.option(arbId, { nil: null }),
    channel: fc.integer({ min: 0, max: MAX_CHANNEL }),
    payload: fc.uint8Array({ maxLength: 300 }),
  }),
  fc.record({
    type: fc.constant('bundle' as const),
    from: arbId,
    entries: fc.array(
      fc.record({
        to: fc.option(arbId, { nil: null }),
        channel: fc.integer({ min: 0, max: MAX_CHANNEL }),
        payload: fc.uint8Array({ maxLength: 100 }),
      }),
      { minLength: 2, maxLength: 6 },
    ),
  }),
  fc.record({
    type: fc.constant('link-up' as const),
    peer: arbId,
    role: arbRole,
    reason: fc.constantFrom(...LINK_UP_REASONS),
  }),
  fc.record({
    type: fc.constant('link-down' as const),
    peer: arbId,
    reason: fc.constantFrom(...LINK_DOWN_REASONS),
  }),
  fc.record({
    type: fc.constant('error' as const),
    code: fc.constantFrom(...ERROR_CODES),
    message: fc.string({ maxLength: 200 }),
  }),
  fc
    .uniqueArray(
      fc.tuple(arbId, arbId).filter(([from, to]) => from !== to),
      { selector: ([from, to]) => `${from} ${to}`, maxLength: 6 },
    )
    .map((pairs) => ({
      type: 'cuts' as const,
      links: pairs
        .map(([from, to]) => ({ from, to }))
        .sort((a, b) =>
          a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0,
        ),
    })),
);

function decodesOrRejects(bytes: Uint8Array): void {
  let frame: Frame;
  try {
    frame = decodeFrame(bytes);
  } catch (error) {
    expect(error).toBeInstanceOf(DecodeError);
    return;
  }
  // Whatever decodes is a valid frame that encodes back to the same bytes (the encoding is canonical).
  expect(encodeFrame(frame)).toEqual(bytes);
}

describe('wire protocol', () => {
  it('round-trips every frame', () => {
    fc.assert(
      fc.property(arbFrame, (frame) => {
        const bytes = encodeFrame(frame);
        expect(bytes[0]).toBe(FrameType[frameTypeKey(frame)]);
        expect(decodeFrame(bytes)).toEqual(frame);
      }),
      fcParams(300, 5000),
    );
  });

  it('rejects corrupted frames with DecodeError only', () => {
    fc.assert(
      fc.property(
        arbFrame,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 })), { maxLength: 4 }),
        (frame, flips) => {
          const bytes = encodeFrame(frame);
          for (const [at, mask] of flips) {
            const i = at % bytes.length;
            bytes[i] = (bytes[i] ?? 0) ^ mask;
          }
          decodesOrRejects(bytes);
          for (let cut = 0; cut < bytes.length; cut += Math.max(1, bytes.length >> 3)) {
            decodesOrRejects(bytes.subarray(0, cut));
          }
        },
      ),
      fcParams(300, 5000),
    );
    fc.assert(fc.property(fc.uint8Array({ maxLength: 64 }), decodesOrRejects), fcParams(1000, 20000));
  });

  it('is compact: a small data frame costs a few bytes over its payload', () => {
    const bytes = encodeData('a', 'b', 1, new Uint8Array(10));
    expect(bytes.length).toBe(1 + 2 + 2 + 1 + 1 + 10);
    expect(encodeData('a', null, 3, new Uint8Array(0))).toEqual(
      new Uint8Array([FrameType.Data, 1, 97, 0, 3, 0]),
    );
  });

  it('gives data payloads as views of the input, without copying', () => {
    const bytes = encodeData('a', null, 0, new Uint8Array([7, 8, 9]));
    const frame = decodeFrame(bytes);
    expect(frame.type === 'data' && frame.payload.buffer).toBe(bytes.buffer);
  });

  it('validates ids, enums and lengths on both sides', () => {
    expect(idProblem('room-1')).toBeUndefined();
    for (const bad of ['', ' a', 'a b', '-a', 'ä', 'a/b', 'x'.repeat(MAX_ID_LENGTH + 1), 7]) {
      expect(idProblem(bad), String(bad)).toBeDefined();
    }
    expect(() => encodeData('a b', null, 1, new Uint8Array())).toThrow(ProtocolError);
    for (const channel of [-1, 256, 1.5, Number.NaN, 'yjs' as never])
      expect(() => encodeData('a', 'b', channel, new Uint8Array())).toThrow(ProtocolError);
    expect(() =>
      encodeFrame({ type: 'hello', version: 1, room: 'r', nodeId: 'n', role: 'admin' as never, token: '' }),
    ).toThrow(ProtocolError);
    // A hand-made frame with a bad id, a bad flag or trailing bytes is refused; any channel is carried.
    const enc = new TextEncoder();
    const data = (from: string, channel: number, extra: number[] = []) =>
      new Uint8Array([FrameType.Data, from.length, ...enc.encode(from), 0, channel, 1, 5, ...extra]);
    expect(decodeFrame(data('a', 0)).type).toBe('data');
    expect(() => decodeFrame(data('a b', 0))).toThrow(/sender id/);
    expect(decodeFrame(data('a', 200))).toMatchObject({ type: 'data', channel: 200 });
    expect(() => decodeFrame(data('a', 0, [1]))).toThrow(/payload length/);
    expect(() => decodeFrame(new Uint8Array([99]))).toThrow(/unknown frame type/);
    expect(() => decodeFrame(new Uint8Array([]))).toThrow(DecodeError);
  });

  it('carries a credential-sized token in hello and the granted rights in welcome, canonically', () => {
    const token = 'x'.repeat(MAX_TOKEN_LENGTH);
    const hello = { type: 'hello', version: 3, room: 'r', nodeId: 'n', role: 'replica', token } as const;
    expect(decodeFrame(encodeFrame(hello))).toEqual(hello);
    expect(() => encodeFrame({ ...hello, token: `${token}x` })).toThrow(ProtocolError);
    const welcome = (rights: readonly string[]) =>
      encodeFrame({ type: 'welcome', room: 'r', nodeId: 'n', peers: [], maxFrameBytes: 9, rights } as never);
    const bytes = welcome(['read', 'admin']);
    // type, room, node id, maxFrameBytes, then the rights bit set: read (1) + admin (4).
    expect(bytes[6]).toBe(0b101);
    expect(decodeFrame(bytes)).toMatchObject({ rights: ['read', 'admin'] });
    expect(() => welcome(['write', 'read'])).toThrow(ProtocolError);
    expect(() => welcome(['read', 'read'])).toThrow(ProtocolError);
    expect(() => welcome(['owner'])).toThrow(ProtocolError);
    const unknownBit = bytes.slice();
    unknownBit[6] = 0b1000;
    expect(() => decodeFrame(unknownBit)).toThrow(/unknown right/);
  });

  it('reads the hello version before anything else', () => {
    const hello = encodeFrame({
      type: 'hello',
      version: PROTOCOL_VERSION,
      room: 'r',
      nodeId: 'n',
      role: 'tool',
      token: 't',
    });
    expect(peekHelloVersion(hello)).toBe(PROTOCOL_VERSION);
    expect(peekHelloVersion(new Uint8Array([FrameType.Hello, 0x82, 0x01, 0xff]))).toBe(130);
    expect(peekHelloVersion(new Uint8Array([FrameType.Data, 1]))).toBeUndefined();
    expect(peekHelloVersion(new Uint8Array([FrameType.Hello]))).toBeUndefined();
  });
});

function frameTypeKey(frame: Frame): keyof typeof FrameType {
  const keys = {
    hello: 'Hello',
    welcome: 'Welcome',
    data: 'Data',
    bundle: 'Bundle',
    'link-up': 'LinkUp',
    'link-down': 'LinkDown',
    cuts: 'Cuts',
    error: 'Error',
  } as const;
  return keys[frame.type];
}

describe("cuts frames (the room's cut links)", () => {
  it('list each directed link once, sorted, and refuse anything else on both sides', () => {
    const links = [
      { from: 'a', to: 'b' },
      { from: 'a', to: 'c' },
      { from: 'b', to: 'a' },
    ];
    const bytes = encodeFrame({ type: 'cuts', links });
    expect(decodeFrame(bytes)).toEqual({ type: 'cuts', links });
    expect(decodeFrame(encodeFrame({ type: 'cuts', links: [] }))).toEqual({ type: 'cuts', links: [] });
    for (const bad of [
      [links[1], links[0]],
      [links[0], links[0]],
      [{ from: 'a', to: 'a' }],
      [{ from: 'a b', to: 'c' }],
    ]) {
      expect(() => encodeFrame({ type: 'cuts', links: bad as typeof links })).toThrow(ProtocolError);
    }
    // The same, hand-encoded: the decoder names what is wrong.
    const raw = (pairs: string[][]): Uint8Array => {
      const out = [FrameType.Cuts, pairs.length];
      for (const ids of pairs)
        for (const id of ids) out.push(id.length, ...[...id].map((c) => c.charCodeAt(0)));
      return new Uint8Array(out);
    };
    expect(decodeFrame(raw([['a', 'b']]))).toEqual({ type: 'cuts', links: [links[0]] });
    expect(() => decodeFrame(raw([['a', 'a']]))).toThrow(/joins a node to itself/);
    expect(() =>
      decodeFrame(
        raw([
          ['b', 'a'],
          ['a', 'b'],
        ]),
      ),
    ).toThrow(/out of order or listed twice/);
    expect(() =>
      decodeFrame(
        raw([
          ['a', 'b'],
          ['a', 'b'],
        ]),
      ),
    ).toThrow(/out of order or listed twice/);
    expect(() => decodeFrame(raw([['a', 'b c']]))).toThrow(DecodeError);
    expect(() => decodeFrame(raw([['a', 'b'], ['c']]))).toThrow(DecodeError);
  });
});

describe('replica messages (data payloads between replicas)', () => {
  const arbDigest = fc
    .array(fc.integer({ min: 0x21, max: 0x7e }), { minLength: 1, maxLength: MAX_DIGEST_LENGTH })
    .map((codes) => String.fromCharCode(...codes));

  it('round-trips sync messages (as views, engine bytes untouched) and digest announcements', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (payload) => {
        const bytes = encodeSyncMessage(payload);
        expect(bytes[0]).toBe(ReplicaMessageKind.Sync);
        const message = decodeReplicaMessage(bytes);
        expect(message).toEqual({ kind: 'sync', payload });
        expect(message.kind === 'sync' && message.payload.buffer).toBe(bytes.buffer);
      }),
      fcParams(200, 2000),
    );
    fc.assert(
      fc.property(fc.maxSafeNat(), arbDigest, (seq, digest) => {
        const bytes = encodeDigestMessage(seq, digest);
        expect(bytes[0]).toBe(ReplicaMessageKind.Digest);
        expect(decodeReplicaMessage(bytes)).toEqual({ kind: 'digest', seq, digest });
      }),
      fcParams(200, 2000),
    );
    expect(encodeDigestMessage(1, '0123456789abcdef').length).toBe(1 + 1 + 1 + 16);
  });

  it('refuses invalid digests on both sides, and decodes anything to a message or DecodeError', () => {
    for (const bad of ['', 'has space', 'é', 'x'.repeat(MAX_DIGEST_LENGTH + 1)]) {
      expect(digestProblem(bad)).toBeDefined();
      expect(() => encodeDigestMessage(1, bad)).toThrow(ProtocolError);
    }
    expect(() => encodeDigestMessage(-1, 'ab')).toThrow(ProtocolError);
    expect(() => encodeDigestMessage(0.5, 'ab')).toThrow(ProtocolError);
    for (const bad of [
      new Uint8Array(),
      Uint8Array.of(2),
      Uint8Array.of(1, 1),
      Uint8Array.of(1, 1, 1, 0x20),
    ]) {
      expect(() => decodeReplicaMessage(bad)).toThrow(DecodeError);
    }
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (bytes) => {
        try {
          decodeReplicaMessage(bytes);
        } catch (error) {
          expect(error).toBeInstanceOf(DecodeError);
        }
      }),
      fcParams(1000, 20000),
    );
  });
});

describe('bundle frames (one message for what a node sends in one task)', () => {
  const entry = (to: string | null, channel: number, ...bytes: number[]) => ({
    to,
    channel,
    payload: new Uint8Array(bytes),
  });

  it('carry every entry in order, as views into the frame', () => {
    const entries = [entry(null, 1, 1, 2), entry('b', 2, 3), entry(null, 3)];
    const bytes = encodeBundle('a', entries);
    expect(bytes[0]).toBe(FrameType.Bundle);
    expect(bytes.length).toBe(
      bundleHeaderBytes('a', 3) + entries.reduce((n, e) => n + bundleEntryBytes(e), 0),
    );
    const frame = decodeFrame(bytes);
    expect(frame).toEqual({ type: 'bundle', from: 'a', entries });
    expect(dataEntries(frame)).toEqual(entries);
    expect(frame.type === 'bundle' && frame.entries[0]?.payload.buffer).toBe(bytes.buffer);
  });

  it('of one entry are the data frame every relay and client already reads', () => {
    const bytes = encodeBundle('a', [entry('b', 7, 9)]);
    expect(bytes).toEqual(encodeData('a', 'b', 7, new Uint8Array([9])));
    expect(dataEntries(decodeFrame(bytes))).toMatchObject([entry('b', 7, 9)]);
  });

  it('refuse fewer than two entries on the wire, and bad values when encoding', () => {
    const one = new Uint8Array([FrameType.Bundle, 1, 0x61, 1, 0, 1, 0]);
    expect(() => decodeFrame(one)).toThrow(DecodeError);
    expect(() => encodeBundle('a', [])).toThrow(ProtocolError);
    expect(() => encodeBundle('a', [entry(null, 1), entry(null, 256)])).toThrow(ProtocolError);
    expect(() => encodeBundle('a', [entry(null, 1), entry('no spaces', 1)])).toThrow(ProtocolError);
  });
});

describe('FrameBundler', () => {
  function bundler(limit = Number.POSITIVE_INFINITY) {
    const frames: Uint8Array[] = [];
    const tooLarge: number[] = [];
    const tasks: (() => void)[] = [];
    const b = new FrameBundler({
      from: 'a',
      maxFrameBytes: () => limit,
      emit: (frame) => frames.push(frame),
      tooLarge: (bytes) => tooLarge.push(bytes),
      schedule: (flush) => tasks.push(flush),
    });
    const endTask = () => {
      for (const task of tasks.splice(0)) task();
    };
    return { b, frames, tooLarge, endTask };
  }

  it('sends what one task queued as one frame, in order, when the task ends', () => {
    const { b, frames, endTask } = bundler();
    for (let channel = 1; channel <= 5; channel++) b.add(null, channel, new Uint8Array([channel]));
    b.add('b', 9, new Uint8Array([9]));
    expect(frames).toEqual([]);
    endTask();
    expect(frames).toHaveLength(1);
    expect(dataEntries(decodeFrame(frames[0] as Uint8Array)).map((e) => [e.to, e.channel])).toEqual([
      [null, 1],
      [null, 2],
      [null, 3],
      [null, 4],
      [null, 5],
      ['b', 9],
    ]);
    b.add(null, 1, new Uint8Array());
    endTask();
    expect(decodeFrame(frames[1] as Uint8Array).type).toBe('data');
  });

  it('starts another frame rather than pass the size limit, and refuses what cannot fit alone', () => {
    const alone = encodeData('a', null, 1, new Uint8Array(10)).length;
    const { b, frames, tooLarge, endTask } = bundler(alone + 5);
    b.add(null, 1, new Uint8Array(10));
    b.add(null, 2, new Uint8Array(10));
    b.add(null, 3, new Uint8Array(11 + 5));
    endTask();
    expect(frames.map((f) => f.length)).toEqual([alone, alone]);
    expect(tooLarge).toEqual([alone + 6]);
    expect(() => b.add(null, 300, new Uint8Array())).toThrow(ProtocolError);
  });

  it('keeps bundles within maxBundleBytes, and sends a larger frame alone when the frame limit allows it', () => {
    const frames: Uint8Array[] = [];
    const tasks: (() => void)[] = [];
    const b = new FrameBundler({
      from: 'a',
      maxFrameBytes: () => Number.POSITIVE_INFINITY,
      maxBundleBytes: () => 100,
      emit: (frame) => frames.push(frame),
      tooLarge: () => {},
      schedule: (flush) => tasks.push(flush),
    });
    b.add(null, 1, new Uint8Array(40));
    b.add(null, 2, new Uint8Array(40));
    b.add(null, 3, new Uint8Array(500));
    b.add(null, 4, new Uint8Array(10));
    for (const task of tasks.splice(0)) task();
    expect(frames.map((f) => dataEntries(decodeFrame(f)).map((e) => e.channel))).toEqual([[1, 2], [3], [4]]);
  });
});
