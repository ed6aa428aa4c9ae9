/**
 * Binary format of store records and snapshots, shared by every byte-log store (files, IndexedDB, memory).
 *
 * Each value starts with "CVS" + format version + kind, then varint/length-prefixed fields written with
 * crdt-core's Encoder. Engine names are stored as strings so adding an engine never renumbers old data.
 * Decoding checks every length and rejects unknown kinds, engines and trailing bytes with a DecodeError.
 */
import { DecodeError, Decoder, Encoder } from '@converge/crdt-core';
import { type EngineName, isEngineName } from './engine-name.ts';
import { errorMessage } from './error-message.ts';
import type { ReplicaMetadata, StoreRecord, StoreSnapshot } from './store.ts';

const MAGIC = [0x43, 0x56, 0x53] as const; // "CVS"
const FORMAT_VERSION = 1;
const KIND_UPDATE = 1;
const KIND_METADATA = 2;
const KIND_SNAPSHOT = 3;

export function encodeStoreRecord(record: StoreRecord): Uint8Array {
  const e = new Encoder(record.kind === 'update' ? record.update.length + 32 : 64);
  if (record.kind === 'update') {
    writeHeader(e, KIND_UPDATE);
    e.string(record.engine).bytes(record.update);
  } else {
    writeHeader(e, KIND_METADATA);
    writeMetadata(e, record.metadata);
  }
  return e.finish();
}

export function decodeStoreRecord(bytes: Uint8Array): StoreRecord {
  return decode(bytes, (d, kind) => {
    if (kind === KIND_UPDATE) {
      const engine = readEngine(d);
      return { kind: 'update', engine, update: d.bytes() };
    }
    if (kind === KIND_METADATA) return { kind: 'metadata', metadata: readMetadata(d) };
    return d.fail(`unknown store record kind ${kind}`);
  });
}

export function encodeStoreSnapshot(snapshot: StoreSnapshot): Uint8Array {
  const entries = Object.entries(snapshot.engines).filter(
    (entry): entry is [string, Uint8Array] => entry[1] !== undefined,
  );
  const e = new Encoder(entries.reduce((n, [, bytes]) => n + bytes.length + 16, 64));
  writeHeader(e, KIND_SNAPSHOT);
  e.byte(snapshot.metadata === undefined ? 0 : 1);
  if (snapshot.metadata !== undefined) writeMetadata(e, snapshot.metadata);
  e.uint(entries.length);
  for (const [engine, bytes] of entries) e.string(engine).bytes(bytes);
  return e.finish();
}

export function decodeStoreSnapshot(bytes: Uint8Array): StoreSnapshot {
  return decode(bytes, (d, kind) => {
    if (kind !== KIND_SNAPSHOT) return d.fail(`expected a snapshot, found kind ${kind}`);
    const flag = d.byte();
    if (flag > 1) d.fail('bad metadata flag');
    const metadata = flag === 1 ? readMetadata(d) : undefined;
    const count = d.count(2);
    const engines: Partial<Record<EngineName, Uint8Array>> = {};
    for (let i = 0; i < count; i++) {
      const engine = readEngine(d);
      if (engines[engine] !== undefined) d.fail(`engine ${engine} appears twice`);
      engines[engine] = d.bytes();
    }
    return metadata === undefined ? { engines } : { engines, metadata };
  });
}

function writeHeader(e: Encoder, kind: number): void {
  for (const b of MAGIC) e.byte(b);
  e.byte(FORMAT_VERSION).byte(kind);
}

function writeMetadata(e: Encoder, metadata: ReplicaMetadata): void {
  e.string(metadata.replicaId)
    .int(metadata.skewMs)
    .string(metadata.primary ?? '');
}

function readMetadata(d: Decoder): ReplicaMetadata {
  const replicaId = d.string();
  if (replicaId.length === 0) d.fail('empty replica id');
  const skewMs = d.int();
  const primary = d.string();
  if (primary === '') return { replicaId, skewMs };
  if (!isEngineName(primary)) d.fail(`unknown engine ${JSON.stringify(primary)}`);
  return { replicaId, skewMs, primary };
}

function readEngine(d: Decoder): EngineName {
  const name = d.string();
  if (!isEngineName(name)) d.fail(`unknown engine ${JSON.stringify(name)}`);
  return name;
}

function decode<T>(bytes: Uint8Array, body: (d: Decoder, kind: number) => T): T {
  const d = new Decoder(bytes);
  try {
    for (const b of MAGIC) if (d.byte() !== b) d.fail('not a store record (bad magic)');
    const version = d.byte();
    if (version !== FORMAT_VERSION) d.fail(`unsupported store format version ${version}`);
    const value = body(d, d.byte());
    d.end();
    return value;
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError(errorMessage(error), d.offset);
  }
}
