import type { Decoder } from '../encoding.ts';
import { type ReplicaId, replicaId } from '../replica-id.ts';
import { readCounter, readLength, readReplica } from './id-fields.ts';
import type { IdRange, RgaId, RgaOp } from './types.ts';
import { readText } from './wtf8.ts';

/**
 * Updates in format 1, as written before format 2 (op-codec.ts) replaced it: decoded so logged
 * updates still apply, never written any more. Fixtures written by the old encoder are in
 * test/fixtures. The layout:
 *
 *   header(RgaUpdate)
 *   replicas: count, then each id as WTF-8 text
 *   ops: count, then per op a kind (0 insert, 1 tombstone, 2 delete) and
 *     insert/tombstone: replica, counter, left ref, right ref, then the text / the length
 *     delete: range count, then per range replica, counter, length
 *   ref: 0 = none; 1 = same replica as the op, then zigzag(op counter - counter); 2 + k = replica k, then counter
 */

const INSERT = 0;
const TOMBSTONE = 1;
const DELETE = 2;

const REF_NONE = 0;
const REF_SAME_REPLICA = 1;
const REF_TABLE = 2;

/** Read a format 1 replica table: distinct, valid replica ids (format 1 snapshots use it too). */
export function readFormat1ReplicaTable(d: Decoder): ReplicaId[] {
  const count = d.count(2);
  const ids: ReplicaId[] = [];
  const seen = new Set<string>();
  for (let i = 0; i < count; i++) {
    const value = readText(d);
    if (seen.has(value)) d.fail(`replica id ${JSON.stringify(value)} listed twice`);
    seen.add(value);
    ids.push(replicaId(value));
  }
  return ids;
}

export function readFormat1Op(d: Decoder, replicas: readonly ReplicaId[]): RgaOp {
  const kind = d.uint();
  if (kind === DELETE) {
    const count = d.count(3);
    const ranges: IdRange[] = [];
    for (let i = 0; i < count; i++) {
      const replica = readReplica(d, replicas);
      const counter = readCounter(d);
      const length = readLength(d, counter);
      ranges.push({ replica, counter, length });
    }
    return { kind: 'delete', ranges };
  }
  if (kind !== INSERT && kind !== TOMBSTONE) d.fail(`unknown operation kind ${kind}`);
  const id: RgaId = { replica: readReplica(d, replicas), counter: readCounter(d) };
  const left = readRef(d, replicas, id);
  const right = readRef(d, replicas, id);
  if (kind === INSERT) {
    const text = readText(d);
    if (text.length === 0) d.fail('insert with empty text');
    if (!Number.isSafeInteger(id.counter + text.length)) d.fail('insert counters overflow');
    return { kind: 'insert', id, left, right, text };
  }
  return { kind: 'tombstone', id, left, right, length: readLength(d, id.counter) };
}

function readRef(d: Decoder, replicas: readonly ReplicaId[], id: RgaId): RgaId | null {
  const code = d.uint();
  if (code === REF_NONE) return null;
  if (code === REF_SAME_REPLICA) {
    const counter = id.counter - d.int();
    if (counter < 1 || !Number.isSafeInteger(counter)) d.fail('origin counter out of range');
    return { replica: id.replica, counter };
  }
  const replica = replicas[code - REF_TABLE];
  if (replica === undefined) d.fail(`replica index ${code - REF_TABLE} outside the table`);
  return { replica, counter: readCounter(d) };
}
