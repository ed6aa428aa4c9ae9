import { DecodeError, SeededRandom } from '@converge/crdt-core';
import { budget, testSeed } from '@converge/crdt-core/testing';
import { describe, expect, it } from 'vitest';
import { type ByteLog, type ByteLogContents, LogStore, MemoryByteLog, StoreError } from '../src/log-store.ts';
import { MemoryStore, type StoreRecord, type StoreSnapshot } from '../src/store.ts';
import {
  decodeStoreRecord,
  decodeStoreSnapshot,
  encodeStoreRecord,
  encodeStoreSnapshot,
} from '../src/store-codec.ts';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);

describe('store codec', () => {
  it('round-trips update and metadata records and snapshots', () => {
    const records: StoreRecord[] = [
      { kind: 'update', engine: 'yjs', update: bytes(1, 2, 3) },
      { kind: 'update', engine: 'lww', update: new Uint8Array(0) },
      { kind: 'metadata', metadata: { replicaId: 'ä-1', skewMs: -120_000 } },
      { kind: 'metadata', metadata: { replicaId: 'r', skewMs: 5, primary: 'automerge' } },
    ];
    for (const record of records) expect(decodeStoreRecord(encodeStoreRecord(record))).toEqual(record);
    const snapshots: StoreSnapshot[] = [
      { engines: {} },
      {
        engines: { converge: bytes(9), automerge: bytes(8, 7) },
        metadata: { replicaId: 'x', skewMs: 0, primary: 'converge' },
      },
    ];
    for (const snapshot of snapshots)
      expect(decodeStoreSnapshot(encodeStoreSnapshot(snapshot))).toEqual(snapshot);
  });

  it('rejects wrong magic, unknown kinds and engines, and trailing bytes with a DecodeError', () => {
    const good = encodeStoreRecord({ kind: 'update', engine: 'yjs', update: bytes(1) });
    expect(() => decodeStoreRecord(bytes(0, 1, 2))).toThrow(DecodeError);
    expect(() => decodeStoreRecord(Uint8Array.from([...good, 0]))).toThrow(/trailing/);
    const unknownKind = good.slice();
    unknownKind[4] = 9;
    expect(() => decodeStoreRecord(unknownKind)).toThrow(/unknown store record kind/);
    const badEngine = encodeStoreRecord({ kind: 'update', engine: 'yjs', update: bytes() });
    badEngine[6] = 'x'.charCodeAt(0); // "yjs" → "xjs"
    expect(() => decodeStoreRecord(badEngine)).toThrow(/unknown engine/);
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
