import { Decoder, Encoder, isCompact, TypeTag } from '../encoding.ts';
import type { RgaOp } from './types.ts';

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
