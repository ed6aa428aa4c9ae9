import { Decoder, Encoder, isCompact, TypeTag } from '../encoding.ts';
import type { IdRange, InsertOp, RgaOp } from './types.ts';

/**
 * An RGA document saved incrementally (`Rga.save`): a whole snapshot written earlier, reused as it
 * was, and the operations integrated since, as updates sealed at each save. Saving again encodes
 * only the operations since the previous save, so saving every thousand edits costs O(edits), not
 * O(document); decoding it gives the document `encode()` would have written. Format (BINARY.md):
 *
 *   0x93                  compact header, tag 19
 *   base                  length-prefixed: a format 2 snapshot (0x8E …)
 *   chunks                to the end of the input, each length-prefixed: a format 2 update
 *                         (0x8F …), the operations integrated between two saves, in that order
 */
export interface SavedParts {
  readonly base: Uint8Array;
  readonly chunks: readonly Uint8Array[];
}

export function isSaved(bytes: Uint8Array): boolean {
  return isCompact(bytes, TypeTag.RgaSaved);
}

export function writeSaved({ base, chunks }: SavedParts): Uint8Array {
  let size = base.length + 1;
  for (const chunk of chunks) size += chunk.length;
  const e = new Encoder(size + 6 * (chunks.length + 1)).compactHeader(TypeTag.RgaSaved);
  e.uint(base.length).raw(base);
  for (const chunk of chunks) e.uint(chunk.length).raw(chunk);
  return e.finish();
}

/** The parts, checked for shape only (the caller decodes each); throws DecodeError. */
export function readSaved(bytes: Uint8Array): SavedParts & { readonly chunkOffsets: readonly number[] } {
  const d = new Decoder(bytes);
  d.compactHeader(TypeTag.RgaSaved);
  const base = d.bytes();
  if (!isCompact(base, TypeTag.RgaDocument)) d.fail('a saved document must start with a format 2 snapshot');
  const chunks: Uint8Array[] = [];
  const chunkOffsets: number[] = [];
  while (d.remaining > 0) {
    chunkOffsets.push(d.offset);
    const chunk = d.bytes();
    if (!isCompact(chunk, TypeTag.RgaUpdate)) d.fail('a saved document chunk must be a format 2 update');
    chunks.push(chunk);
  }
  return { base, chunks, chunkOffsets };
}

/**
 * The same operations in fewer: a replica's keystrokes typed on one after another (each after its own
 * previous character, its right origin inherited) become one insert, whose further characters take
 * exactly those origins; deletes next to each other become one, their ranges joined where they meet
 * (a backspaced word is one range). Applied in order, they make the same document; decoding a save
 * replays one operation per typed stretch instead of one per keystroke.
 */
export function coalesce(ops: readonly RgaOp[]): RgaOp[] {
  const out: RgaOp[] = [];
  for (const op of ops) {
    const last = out[out.length - 1];
    if (op.kind === 'insert' && last?.kind === 'insert' && typesOn(last, op)) {
      out[out.length - 1] = { ...last, text: last.text + op.text };
    } else if (op.kind === 'delete' && last?.kind === 'delete') {
      const ranges = [...last.ranges];
      for (const range of op.ranges) joinRange(ranges, range);
      out[out.length - 1] = { kind: 'delete', ranges };
    } else out.push(op);
  }
  return out;
}

/** Whether `next` is typed right after `last`'s last character, as typing on makes it. */
function typesOn(last: InsertOp, next: InsertOp): boolean {
  const end = last.id.counter + last.text.length;
  return (
    next.right === 'inherit' &&
    next.left !== null &&
    next.id.replica === last.id.replica &&
    next.id.counter === end &&
    next.left.replica === last.id.replica &&
    next.left.counter === end - 1
  );
}

function joinRange(ranges: IdRange[], range: IdRange): void {
  const last = ranges[ranges.length - 1];
  // Ranges that meet, either way round (typing forward deletes ascending, backspacing descending).
  const meets =
    last !== undefined &&
    last.replica === range.replica &&
    (last.counter + last.length === range.counter || range.counter + range.length === last.counter);
  if (!meets) {
    ranges.push(range);
    return;
  }
  const counter = Math.min(last.counter, range.counter);
  ranges[ranges.length - 1] = { replica: last.replica, counter, length: last.length + range.length };
}

/** What replaying `op` costs, in operations (a delete's ranges counted one by one). */
export function weightOp(op: RgaOp): number {
  return op.kind === 'delete' ? op.ranges.length : 1;
}

/** What replaying `ops` costs, in operations (`weightOp` summed). */
export function weightOf(ops: readonly RgaOp[]): number {
  let weight = 0;
  for (const op of ops) weight += weightOp(op);
  return weight;
}
