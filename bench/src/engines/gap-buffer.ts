import type { Patch } from '../workload.ts';
import type { Engine, EngineDoc } from './types.ts';

/**
 * The reference floor: a plain gap buffer of UTF-16 code units, with no CRDT metadata at all. Each
 * edit's update is the patch itself (position, number deleted, inserted text as UTF-8), what an
 * editor without a CRDT sends to a server that orders edits for everyone; its document is the text
 * as UTF-8. Position-based patches cannot merge concurrent edits, so it runs sequential workloads
 * only (`merges: false`).
 */
export class GapBuffer {
  private buf = new Uint16Array(1024);
  private gapStart = 0;
  private gapEnd = 1024;

  get length(): number {
    return this.buf.length - (this.gapEnd - this.gapStart);
  }

  /** Splice semantics: delete `deleted` code units at `position`, then insert `inserted` there. */
  splice(position: number, deleted: number, inserted: string): void {
    if (position < 0 || deleted < 0 || position + deleted > this.length) {
      throw new RangeError(`gap buffer: splice ${position}+${deleted} outside ${this.length}`);
    }
    this.moveGap(position);
    this.gapEnd += deleted;
    const n = inserted.length;
    if (n > this.gapEnd - this.gapStart) this.grow(n);
    const buf = this.buf;
    let at = this.gapStart;
    for (let i = 0; i < n; i++) buf[at++] = inserted.charCodeAt(i);
    this.gapStart = at;
  }

  private moveGap(position: number): void {
    const buf = this.buf;
    const gapStart = this.gapStart;
    const gapEnd = this.gapEnd;
    if (position < gapStart) {
      // Characters position … gapStart move to the end of the gap.
      buf.copyWithin(gapEnd - (gapStart - position), position, gapStart);
      this.gapEnd = gapEnd - (gapStart - position);
      this.gapStart = position;
    } else if (position > gapStart) {
      const count = position - gapStart;
      buf.copyWithin(gapStart, gapEnd, gapEnd + count);
      this.gapStart = position;
      this.gapEnd = gapEnd + count;
    }
  }

  private grow(needed: number): void {
    const old = this.buf;
    const tail = old.length - this.gapEnd;
    let size = old.length * 2;
    while (size - this.length < needed) size *= 2;
    const next = new Uint16Array(size);
    next.set(old.subarray(0, this.gapStart));
    next.set(old.subarray(this.gapEnd), size - tail);
    this.buf = next;
    this.gapEnd = size - tail;
  }

  toString(): string {
    return codeUnits(this.buf.subarray(0, this.gapStart)) + codeUnits(this.buf.subarray(this.gapEnd));
  }
}

/** The string of these UTF-16 code units, lone surrogates included (TextDecoder would replace them). */
function codeUnits(units: Uint16Array): string {
  let out = '';
  for (let at = 0; at < units.length; at += 8192) {
    out += String.fromCharCode.apply(null, units.subarray(at, at + 8192) as unknown as number[]);
  }
  return out;
}
const utf8 = new TextEncoder();
const utf8Decoder = new TextDecoder();

function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 0x80);
    size++;
  }
  return size;
}

function putVarint(out: Uint8Array, at: number, value: number): number {
  while (value >= 0x80) {
    out[at++] = (value % 0x80) | 0x80;
    value = Math.floor(value / 0x80);
  }
  out[at++] = value;
  return at;
}

/** The patches as bytes: per patch position, number deleted, then the inserted text's UTF-8 length and bytes. */
export function encodePatches(patches: readonly Patch[]): Uint8Array {
  const texts: Uint8Array[] = [];
  let size = 0;
  for (const [position, deleted, inserted] of patches) {
    const text = utf8.encode(inserted);
    texts.push(text);
    size += varintSize(position) + varintSize(deleted) + varintSize(text.length) + text.length;
  }
  const out = new Uint8Array(size);
  let at = 0;
  patches.forEach(([position, deleted], i) => {
    const text = texts[i] as Uint8Array;
    at = putVarint(out, at, position);
    at = putVarint(out, at, deleted);
    at = putVarint(out, at, text.length);
    out.set(text, at);
    at += text.length;
  });
  return out;
}

/** One patch as `encodePatches` writes it, without the arrays (the per-keystroke path). */
function encodePatch(position: number, deleted: number, inserted: string): Uint8Array {
  const n = inserted.length;
  let ascii = true;
  for (let i = 0; i < n; i++) {
    if (inserted.charCodeAt(i) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (!ascii) return encodePatches([[position, deleted, inserted]]);
  const out = new Uint8Array(varintSize(position) + varintSize(deleted) + varintSize(n) + n);
  let at = putVarint(out, 0, position);
  at = putVarint(out, at, deleted);
  at = putVarint(out, at, n);
  for (let i = 0; i < n; i++) out[at++] = inserted.charCodeAt(i);
  return out;
}

class GapBufferDoc implements EngineDoc {
  constructor(readonly buffer: GapBuffer) {}

  edit(position: number, deleted: number, inserted: string): Uint8Array {
    this.buffer.splice(position, deleted, inserted);
    return encodePatch(position, deleted, inserted);
  }

  transact(patches: readonly Patch[]): Uint8Array {
    for (const [position, deleted, inserted] of patches) this.buffer.splice(position, deleted, inserted);
    return encodePatches(patches);
  }

  applyUpdate(): void {
    throw new Error('gap-buffer: position-based patches cannot merge concurrent edits');
  }

  text(): string {
    return this.buffer.toString();
  }

  encode(): Uint8Array {
    return utf8.encode(this.buffer.toString());
  }
}

export const gapBufferEngine: Engine = {
  name: 'gap-buffer',
  merges: false,
  create: () => new GapBufferDoc(new GapBuffer()),
  parse: (bytes) => {
    const buffer = new GapBuffer();
    buffer.splice(0, 0, utf8Decoder.decode(bytes));
    return new GapBufferDoc(buffer);
  },
  mergeInputs: () => {
    throw new Error('gap-buffer: no merge');
  },
  merge: () => {
    throw new Error('gap-buffer: no merge');
  },
};
