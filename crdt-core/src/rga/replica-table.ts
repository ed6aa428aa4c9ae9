import type { Decoder, Encoder } from '../encoding.ts';
import { type ReplicaId, replicaId } from '../replica-id.ts';
import { readText, writeText } from './wtf8.ts';

/**
 * Replica ids of one encoded value, numbered in order of first use. Codecs write the table once
 * and refer to replicas by number. Small tables (the common single-op update) search an array;
 * larger ones switch to a Map.
 */
export class ReplicaTable {
  readonly ids: ReplicaId[] = [];
  private map: Map<ReplicaId, number> | null = null;

  indexOf(id: ReplicaId): number {
    if (this.map !== null) {
      const found = this.map.get(id);
      if (found !== undefined) return found;
    } else {
      const found = this.ids.indexOf(id);
      if (found >= 0) return found;
    }
    const index = this.ids.length;
    this.ids.push(id);
    if (this.map !== null) this.map.set(id, index);
    else if (index >= 8) this.map = new Map(this.ids.map((value, i) => [value, i]));
    return index;
  }
}

/**
 * Replica ids in format 2: `count << 1 | packed`, then each id. Packed (when every id fits): the id
 * as a number in bijective base 37 over ID_DIGITS, a varint, which takes about two thirds of the
 * bytes of the text (app ids are ten characters of [a-z0-9]: 8 bytes instead of 11). Otherwise each
 * id is length-prefixed WTF-8.
 */
const ID_DIGITS = '0123456789abcdefghijklmnopqrstuvwxyz-';
const DIGIT_VALUE = new Map([...ID_DIGITS].map((c, i) => [c, i + 1]));

/** The packed number of `id`, or -1 when it has other characters or does not fit a safe integer. */
export function packReplicaId(id: string): number {
  let value = 0;
  for (let i = 0; i < id.length; i++) {
    const digit = DIGIT_VALUE.get(id[i] as string);
    if (digit === undefined) return -1;
    value = value * 37 + digit;
    if (!Number.isSafeInteger(value)) return -1;
  }
  return id.length === 0 ? -1 : value;
}

/** The id packed as `value` (≥ 1). */
export function unpackReplicaId(value: number): string {
  let id = '';
  while (value > 0) {
    const digit = ((value - 1) % 37) + 1;
    id = (ID_DIGITS[digit - 1] as string) + id;
    value = (value - digit) / 37;
  }
  return id;
}

export function writeCompactReplicaTable(e: Encoder, ids: readonly ReplicaId[]): void {
  const packed = ids.map(packReplicaId);
  const all = packed.every((value) => value > 0);
  e.uint(ids.length * 2 + (all ? 1 : 0));
  for (let i = 0; i < ids.length; i++) {
    if (all) e.uint(packed[i] as number);
    else writeText(e, ids[i] as string);
  }
}

export function readCompactReplicaTable(d: Decoder): ReplicaId[] {
  const head = d.uint();
  const count = Math.floor(head / 2);
  if (count > d.remaining) d.fail(`replica table of ${count} ids exceeds the remaining input`);
  const ids: ReplicaId[] = [];
  for (let i = 0; i < count; i++) {
    let id: ReplicaId;
    if (head % 2 === 1) {
      const value = d.uint();
      if (value === 0) d.fail('packed replica id 0');
      id = unpackedId(value);
    } else {
      const text = readText(d);
      if (text.length === 0 || text.length > 256) d.fail(`invalid replica id of ${text.length} characters`);
      id = replicaId(text);
    }
    // Tables are short (a keystroke's has one entry): a scan beats a Set.
    if (ids.includes(id)) d.fail(`replica id ${JSON.stringify(id)} listed twice`);
    ids.push(id);
  }
  return ids;
}

/**
 * Ids by packed number: every update names its replicas again, so the few ids a document sees are
 * unpacked once, not per update. Bounded: cleared when it grows past 4096 ids.
 */
const unpacked = new Map<number, ReplicaId>();

function unpackedId(value: number): ReplicaId {
  let id = unpacked.get(value);
  if (id === undefined) {
    if (unpacked.size >= 4096) unpacked.clear();
    id = replicaId(unpackReplicaId(value));
    unpacked.set(value, id);
  }
  return id;
}
