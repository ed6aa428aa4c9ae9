/**
 * Binary format of store records and snapshots, shared by every byte-log store (files, IndexedDB, memory).
 *
 * Each value starts with "CVS" + format version + kind, then varint/length-prefixed fields written with
 * crdt-core's Encoder. Engine names are stored as strings so adding an engine never renumbers old data;
 * a name this build does not register still decodes (the replica keeps such data as it is). Decoding
 * checks every length and rejects unknown kinds, malformed engine names and trailing bytes with a DecodeError.
 *
 * Version 2 (written now) ends every value with a CRC-32 (little-endian) of everything before it, so a
 * flipped bit anywhere is a DecodeError whatever the engine's own format tolerates; it adds the `intent`
 * record (one local intent, every engine's update) and the offline flag in the metadata. Version 1 values
 * (no checksum) still decode, so stores written before open unchanged.
 */

import { DecodeError, Decoder, Encoder } from '@converge/crdt-core';
import { errorMessage } from '@converge/protocol';
import { crc32 } from './checksum.ts';
import { type EngineName, isEngineName } from './engine-name.ts';
import type { EngineUpdate, ReplicaMetadata, StoreRecord, StoreSnapshot } from './store.ts';

const MAGIC = [0x43, 0x56, 0x53] as const; // "CVS"
const VERSION_UNCHECKED = 1;
const FORMAT_VERSION = 2;
const CHECKSUM_BYTES = 4;
const KIND_UPDATE = 1;
const KIND_METADATA = 2;
const KIND_SNAPSHOT = 3;
const KIND_INTENT = 4;
const METADATA_OFFLINE = 1;

export function encodeStoreRecord(record: StoreRecord): Uint8Array {
  switch (record.kind) {
    case 'update': {
      const e = new Encoder(record.update.length + 32);
      writeHeader(e, KIND_UPDATE);
      e.string(record.engine).bytes(record.update);
      return finish(e);
    }
    case 'intent': {
      const e = new Encoder(record.updates.reduce((n, u) => n + u.update.length + 16, 32));
      writeHeader(e, KIND_INTENT);
      e.uint(record.updates.length);
      for (const { engine, update } of record.updates) e.string(engine).bytes(update);
      return finish(e);
    }
    case 'metadata': {
      const e = new Encoder(64);
      writeHeader(e, KIND_METADATA);
      writeMetadata(e, record.metadata);
      return finish(e);
    }
  }
}

export function decodeStoreRecord(bytes: Uint8Array): StoreRecord {
  return decode(bytes, (d, kind, version) => {
    if (kind === KIND_UPDATE) {
      const engine = readEngine(d);
      return { kind: 'update', engine, update: d.bytes() };
    }
    if (kind === KIND_INTENT && version >= 2) {
      const count = d.count(2);
      const updates: EngineUpdate[] = [];
      for (let i = 0; i < count; i++) updates.push({ engine: readEngine(d), update: d.bytes() });
      return { kind: 'intent', updates };
    }
    if (kind === KIND_METADATA) return { kind: 'metadata', metadata: readMetadata(d, version) };
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
  return finish(e);
}

export function decodeStoreSnapshot(bytes: Uint8Array): StoreSnapshot {
  return decode(bytes, (d, kind, version) => {
    if (kind !== KIND_SNAPSHOT) return d.fail(`expected a snapshot, found kind ${kind}`);
    const flag = d.byte();
    if (flag > 1) d.fail('bad metadata flag');
    const metadata = flag === 1 ? readMetadata(d, version) : undefined;
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

/** The encoded value with its CRC-32 appended. */
function finish(e: Encoder): Uint8Array {
  const body = e.finish();
  const out = new Uint8Array(body.length + CHECKSUM_BYTES);
  out.set(body);
  new DataView(out.buffer).setUint32(body.length, crc32(body), true);
  return out;
}

function writeMetadata(e: Encoder, metadata: ReplicaMetadata): void {
  e.string(metadata.replicaId)
    .int(metadata.skewMs)
    .string(metadata.primary ?? '')
    .uint(metadata.offline === true ? METADATA_OFFLINE : 0);
}

function readMetadata(d: Decoder, version: number): ReplicaMetadata {
  const replicaId = d.string();
  if (replicaId.length === 0) d.fail('empty replica id');
  const skewMs = d.int();
  const primary = d.string();
  let offline = false;
  if (version >= 2) {
    const flags = d.uint();
    if ((flags & ~METADATA_OFFLINE) !== 0) d.fail(`unknown metadata flags ${flags}`);
    offline = flags === METADATA_OFFLINE;
  }
  if (primary !== '' && !isEngineName(primary)) d.fail(`invalid engine name ${JSON.stringify(primary)}`);
  return {
    replicaId,
    skewMs,
    ...(primary === '' ? {} : { primary: primary as EngineName }),
    ...(offline ? { offline } : {}),
  };
}

function readEngine(d: Decoder): EngineName {
  const name = d.string();
  if (!isEngineName(name)) d.fail(`invalid engine name ${JSON.stringify(name)}`);
  return name;
}

function decode<T>(bytes: Uint8Array, body: (d: Decoder, kind: number, version: number) => T): T {
  let d = new Decoder(bytes);
  try {
    for (const b of MAGIC) if (d.byte() !== b) d.fail('not a store record (bad magic)');
    const version = d.byte();
    if (version === FORMAT_VERSION) {
      if (bytes.length < MAGIC.length + 2 + CHECKSUM_BYTES) d.fail('too short for its checksum');
      const end = bytes.length - CHECKSUM_BYTES;
      const stored = new DataView(bytes.buffer, bytes.byteOffset + end, CHECKSUM_BYTES).getUint32(0, true);
      if (crc32(bytes.subarray(0, end)) !== stored) throw new DecodeError('checksum mismatch', end);
      d = new Decoder(bytes.subarray(0, end));
      for (let i = 0; i <= MAGIC.length; i++) d.byte();
    } else if (version !== VERSION_UNCHECKED) {
      d.fail(`unsupported store format version ${version}`);
    }
    const value = body(d, d.byte(), version);
    d.end();
    return value;
  } catch (error) {
    if (error instanceof DecodeError) throw error;
    throw new DecodeError(errorMessage(error), d.offset);
  }
}
