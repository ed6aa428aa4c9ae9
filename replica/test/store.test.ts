import { DecodeError, SeededRandom } from '@converge/crdt-core';
import { budget, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';
import { crc32, crc32Of } from '../src/checksum.ts';
import { type ByteLog, type ByteLogContents, LogStore, MemoryByteLog, StoreError } from '../src/log-store.ts';
import { MemoryStore, type StoreRecord, type StoreSnapshot } from '../src/store.ts';
import {
  decodeStoreRecord,
  decodeStoreSnapshot,
  encodeStoreRecord,
  encodeStoreSnapshot,
} from '../src/store-codec.ts';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

/** Recompute a version-2 value's trailing CRC-32, so a test can reach the checks behind it. */
function reseal(value: Uint8Array): Uint8Array {
  const out = value.slice();
  new DataView(out.buffer).setUint32(out.length - 4, crc32(out.subarray(0, out.length - 4)), true);
  return out;
}

describe('store codec', () => {
  it('checksums a span in place as zlib does, short spans by table and long ones natively', () => {
    const random = new SeededRandom(19);
    const bytes = Uint8Array.from({ length: 700 }, () => random.int(0, 255));
    for (const [from, to] of [
      [0, 0],
      [0, 1],
      [3, 80],
      [0, 255],
      [1, 257],
      [10, 700],
    ] as const) {
      expect(crc32Of(bytes, from, to)).toBe(crc32(bytes.subarray(from, to)));
    }
  });

  it('writes records whose engine updates are shorter and longer than a loop copies', () => {
    const short = Uint8Array.of(1, 2, 3);
    const long = Uint8Array.from({ length: 300 }, (_, i) => i & 0xff);
    const record: StoreRecord = {
      kind: 'intent',
      updates: [
        { engine: 'converge', update: short },
        { engine: 'yjs', update: long },
      ],
    };
    const slab = new Uint8Array(1024).fill(0xee);
    const bytes = encodeStoreRecord(record, (size) => new Uint8Array(slab.buffer, 100, size));
    expect(bytes.byteOffset).toBe(100);
    expect(decodeStoreRecord(bytes)).toEqual(record);
    expect(bytes).toEqual(encodeStoreRecord(record));
  });

  it('round-trips update, intent and metadata records and snapshots', () => {
    const records: StoreRecord[] = [
      { kind: 'update', engine: 'yjs', update: bytes(1, 2, 3) },
      { kind: 'update', engine: 'lww', update: new Uint8Array(0) },
      {
        kind: 'intent',
        updates: [
          { engine: 'converge', update: bytes(7) },
          { engine: 'yjs', update: bytes(8, 9) },
          { engine: 'lww', update: bytes() },
        ],
      },
      {
        kind: 'intent',
        updates: [{ engine: 'converge', update: bytes(7) }],
        deferred: { id: 'n.1', engines: ['yjs', 'automerge'], intent: bytes(123, 125) },
      },
      { kind: 'realised', id: 'n.1', engine: 'yjs', updates: [bytes(5), bytes()] },
      { kind: 'realised', id: 'n.2', engine: 'lww', updates: [] },
      { kind: 'metadata', metadata: { replicaId: 'ä-1', skewMs: -120_000 } },
      { kind: 'metadata', metadata: { replicaId: 'r', skewMs: 5, primary: 'automerge' } },
      { kind: 'metadata', metadata: { replicaId: 'r', skewMs: 0, offline: true } },
    ];
    for (const record of records) expect(decodeStoreRecord(encodeStoreRecord(record))).toEqual(record);
    const snapshots: StoreSnapshot[] = [
      { engines: {} },
      {
        engines: { converge: bytes(9), automerge: bytes(8, 7) },
        metadata: { replicaId: 'x', skewMs: 0, primary: 'converge', offline: true },
      },
    ];
    for (const snapshot of snapshots)
      expect(decodeStoreSnapshot(encodeStoreSnapshot(snapshot))).toEqual(snapshot);
  });

  it('still reads version-1 records and snapshots (stores written before checksums)', () => {
    // "CVS", version 1, kind, fields: exactly what the previous release wrote, with no checksum.
    const text = (value: string): number[] => [value.length, ...new TextEncoder().encode(value)];
    const update = bytes(0x43, 0x56, 0x53, 1, 1, ...text('yjs'), 3, 1, 2, 3);
    expect(decodeStoreRecord(update)).toEqual({ kind: 'update', engine: 'yjs', update: bytes(1, 2, 3) });
    const metadata = bytes(0x43, 0x56, 0x53, 1, 2, ...text('a'), 9, ...text('lww'));
    expect(decodeStoreRecord(metadata)).toEqual({
      kind: 'metadata',
      metadata: { replicaId: 'a', skewMs: -5, primary: 'lww' },
    });
    const snapshot = bytes(0x43, 0x56, 0x53, 1, 3, 0, 1, ...text('converge'), 2, 4, 5);
    expect(decodeStoreSnapshot(snapshot)).toEqual({ engines: { converge: bytes(4, 5) } });
    // Intents only exist from version 2 on.
    expect(() => decodeStoreRecord(bytes(0x43, 0x56, 0x53, 1, 4, 0))).toThrow(/unknown store record kind/);
  });

  it('detects every single-bit flip and every truncation of a record or snapshot', () => {
    const values = [
      encodeStoreRecord({
        kind: 'intent',
        updates: [
          { engine: 'converge', update: bytes(1, 2, 3) },
          { engine: 'automerge', update: bytes(4, 5) },
        ],
      }),
      encodeStoreRecord({ kind: 'metadata', metadata: { replicaId: 'abc', skewMs: 77, offline: true } }),
      encodeStoreSnapshot({
        engines: { yjs: bytes(1, 2), lww: bytes(3) },
        metadata: { replicaId: 'q', skewMs: 1 },
      }),
    ];
    for (const value of values) {
      const decode = value[4] === 3 ? decodeStoreSnapshot : decodeStoreRecord;
      for (let bit = 0; bit < value.length * 8; bit++) {
        const flipped = value.slice();
        flipped[bit >> 3] = (flipped[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(() => decode(flipped), `bit ${bit}`).toThrow(DecodeError);
      }
      for (let length = 0; length < value.length; length++) {
        expect(() => decode(value.subarray(0, length)), `length ${length}`).toThrow(DecodeError);
      }
    }
  });

  it('rejects wrong magic, unknown kinds, malformed engine names and trailing bytes with a DecodeError', () => {
    const good = encodeStoreRecord({ kind: 'update', engine: 'yjs', update: bytes(1) });
    expect(() => decodeStoreRecord(bytes(0, 1, 2))).toThrow(DecodeError);
    const trailing = new Uint8Array(good.length + 1);
    trailing.set(good.subarray(0, good.length - 4));
    expect(() => decodeStoreRecord(reseal(trailing))).toThrow(/trailing/);
    const unknownKind = good.slice();
    unknownKind[4] = 9;
    expect(() => decodeStoreRecord(reseal(unknownKind))).toThrow(/unknown store record kind/);
    const badEngine = encodeStoreRecord({ kind: 'update', engine: 'yjs', update: bytes() });
    badEngine[6] = 'Y'.charCodeAt(0); // "yjs" → "Yjs": not an engine name
    expect(() => decodeStoreRecord(reseal(badEngine))).toThrow(/invalid engine name/);
    expect(() => decodeStoreRecord(badEngine)).toThrow(/checksum/);
    // An engine this build does not register is data like any other (a replica keeps it, never compacts it away).
    const otherEngine = encodeStoreRecord({ kind: 'update', engine: 'yjs', update: bytes() });
    otherEngine[6] = 'x'.charCodeAt(0); // "yjs" → "xjs"
    expect(decodeStoreRecord(reseal(otherEngine))).toMatchObject({ kind: 'update', engine: 'xjs' });
    expect(() => decodeStoreSnapshot(good)).toThrow(/expected a snapshot/);
  });

  it('decodes random and mutated bytes to a value or a DecodeError, never anything else', () => {
    const seed = testSeed();
    const random = new SeededRandom(seed);
    const samples = [
      encodeStoreRecord({ kind: 'update', engine: 'automerge', update: bytes(1, 2, 3, 4, 5) }),
      encodeStoreRecord({ kind: 'metadata', metadata: { replicaId: 'abc', skewMs: 77, primary: 'yjs' } }),
      encodeStoreSnapshot({
        engines: { yjs: bytes(1, 2), lww: bytes(3) },
        metadata: { replicaId: 'q', skewMs: 1 },
      }),
    ];
    for (let i = 0; i < budget(2000, 50_000); i++) {
      let input: Uint8Array;
      if (random.chance(0.3)) {
        input = Uint8Array.from({ length: random.int(0, 24) }, () => random.int(0, 255));
      } else {
        input = random.pick(samples).slice();
        for (let k = random.int(1, 3); k > 0; k--) {
          const at = random.int(0, input.length - 1);
          input[at] = random.chance(0.5) ? random.int(0, 255) : (input[at] ?? 0) ^ (1 << random.int(0, 7));
        }
        if (random.chance(0.2)) input = input.slice(0, random.int(0, input.length));
      }
      for (const decode of [decodeStoreRecord, decodeStoreSnapshot]) {
        try {
          decode(input);
        } catch (error) {
          if (!(error instanceof DecodeError)) throw new Error(`seed ${seed} case ${i}: ${String(error)}`);
        }
      }
    }
  });
});

describe('LogStore', () => {
  it('loads the snapshot, then updates in order, folding metadata records into the latest settings', async () => {
    const store = new MemoryStore();
    expect(await store.load()).toEqual({ snapshots: {}, updates: [], metadata: undefined, damage: [] });
    await store.append({ kind: 'metadata', metadata: { replicaId: 'r', skewMs: 0 } });
    await store.append({ kind: 'update', engine: 'yjs', update: bytes(1) });
    await store.append({ kind: 'update', engine: 'lww', update: bytes(2) });
    await store.append({ kind: 'metadata', metadata: { replicaId: 'r', skewMs: 50, primary: 'lww' } });
    await store.append({ kind: 'update', engine: 'yjs', update: bytes(3) });
    const loaded = await store.load();
    expect(loaded.updates).toEqual([
      { engine: 'yjs', update: bytes(1) },
      { engine: 'lww', update: bytes(2) },
      { engine: 'yjs', update: bytes(3) },
    ]);
    expect(loaded.metadata).toEqual({ replicaId: 'r', skewMs: 50, primary: 'lww' });

    await store.compact({
      engines: { yjs: bytes(1, 3), lww: bytes(2) },
      metadata: { replicaId: 'r', skewMs: 50 },
    });
    await store.append({ kind: 'update', engine: 'lww', update: bytes(4) });
    const compacted = await store.load();
    expect(compacted.snapshots).toEqual({ yjs: bytes(1, 3), lww: bytes(2) });
    expect(compacted.updates).toEqual([{ engine: 'lww', update: bytes(4) }]);
    expect(compacted.metadata).toEqual({ replicaId: 'r', skewMs: 50 });
    expect(store.log.recordCount()).toBe(1);
  });

  it('refuses appends and compactions before load', async () => {
    const store = new MemoryStore();
    await expect(store.append({ kind: 'update', engine: 'yjs', update: bytes() })).rejects.toThrow(
      StoreError,
    );
    await expect(store.compact({ engines: {} })).rejects.toThrow(/load the store/);
  });

  it('skips unreadable records and snapshots and reports them with the byte log damage', async () => {
    const good = encodeStoreRecord({ kind: 'update', engine: 'yjs', update: bytes(5) });
    const byteLog: ByteLog = {
      async open(): Promise<ByteLogContents> {
        return {
          snapshot: bytes(1, 2, 3),
          records: [bytes(0xff), good],
          damage: ['torn tail', { file: 'log.bin', offset: 40, reason: 'bad checksum' }],
        };
      },
      append: async () => {},
      compact: async () => {},
      close: async () => {},
    };
    const loaded = await new LogStore(byteLog).load();
    expect(loaded.updates).toEqual([{ engine: 'yjs', update: bytes(5) }]);
    expect(loaded.snapshots).toEqual({});
    expect(loaded.damage).toEqual([
      'torn tail',
      'bad checksum in log.bin at byte 40',
      expect.stringMatching(/^snapshot unreadable: /),
      expect.stringMatching(/^record 0 unreadable: /),
    ]);
  });

  it('returns an intent’s updates one after another, in the order of its records', async () => {
    const store = new MemoryStore();
    await store.load();
    await store.append({ kind: 'update', engine: 'yjs', update: bytes(1) });
    await store.append({
      kind: 'intent',
      updates: [
        { engine: 'converge', update: bytes(2) },
        { engine: 'yjs', update: bytes(3) },
      ],
    });
    await store.append({ kind: 'update', engine: 'lww', update: bytes(4) });
    expect((await store.load()).updates).toEqual([
      { engine: 'yjs', update: bytes(1) },
      { engine: 'converge', update: bytes(2) },
      { engine: 'yjs', update: bytes(3) },
      { engine: 'lww', update: bytes(4) },
    ]);
  });

  it('lists each deferred intent for the engines no realised record settled, their updates in order', async () => {
    const store = new MemoryStore();
    await store.load();
    const intent = bytes(1, 2);
    await store.append({
      kind: 'intent',
      updates: [{ engine: 'converge', update: bytes(1) }],
      deferred: { id: 'a', engines: ['yjs', 'lww'], intent },
    });
    await store.append({
      kind: 'intent',
      updates: [{ engine: 'converge', update: bytes(2) }],
      deferred: { id: 'b', engines: ['yjs', 'lww'], intent },
    });
    await store.append({ kind: 'realised', id: 'a', engine: 'yjs', updates: [bytes(3)] });
    await store.append({ kind: 'realised', id: 'a', engine: 'lww', updates: [] });
    await store.append({ kind: 'realised', id: 'b', engine: 'yjs', updates: [bytes(4), bytes(5)] });
    const stored = await store.load();
    expect(stored.updates).toEqual([
      { engine: 'converge', update: bytes(1) },
      { engine: 'converge', update: bytes(2) },
      { engine: 'yjs', update: bytes(3) },
      { engine: 'yjs', update: bytes(4) },
      { engine: 'yjs', update: bytes(5) },
    ]);
    expect(stored.deferred).toEqual([{ id: 'b', engines: ['lww'], intent }]);
  });

  it('hands the byte log copies: later changes to the caller’s buffers do not alter stored data', async () => {
    const log = new MemoryByteLog();
    const store = new LogStore(log);
    await store.load();
    const update = bytes(1, 2);
    await store.append({ kind: 'update', engine: 'yjs', update });
    update[0] = 9;
    expect((await store.load()).updates[0]?.update).toEqual(bytes(1, 2));
    expect(log.byteLength()).toBeGreaterThan(0);
  });
});

describe('crc32', () => {
  it('gives zlib’s CRC-32 in Node and in the pure-JavaScript fallback the browser uses', async () => {
    const { crc32: zlibCrc32 } = await import('node:zlib');
    const CRC32 = (await import('crc-32')).default;
    const random = new SeededRandom(testSeed());
    for (const length of [0, 1, 7, 64, 1000, 70_000]) {
      const data = Uint8Array.from({ length }, () => random.int(0, 255));
      expect(crc32(data)).toBe(zlibCrc32(data));
      expect(CRC32.buf(data) >>> 0).toBe(zlibCrc32(data));
    }
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });
});
