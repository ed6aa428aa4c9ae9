import type { Decoder, Encoder } from '../encoding.ts';

/**
 * Lossless bytes for any JavaScript string. Text positions are UTF-16 code units, so an edit may
 * split a surrogate pair and leave a lone surrogate in a run or in the visible text. UTF-8 cannot
 * carry those (TextEncoder turns them into U+FFFD, which would silently change the text), so text
 * is written as WTF-8: UTF-8 that also encodes a lone surrogate as its own three-byte sequence.
 * Well-formed strings produce exactly their UTF-8 bytes.
 */

const utf8 = new TextDecoder('utf-8', { fatal: true });

/** Bytes `value` takes in WTF-8. */
export function wtf8Length(value: string): number {
  let bytes = value.length;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < value.length && isLowSurrogate(value.charCodeAt(i + 1))) {
      bytes += 2; // a pair: 4 bytes for 2 code units
      i++;
    } else bytes += 2;
  }
  return bytes;
}

function isLowSurrogate(c: number): boolean {
  return c >= 0xdc00 && c <= 0xdfff;
}

/** Write `value` into `out` from `at`; returns the end offset. `out` must have wtf8Length bytes free. */
export function writeInto(value: string, out: Uint8Array, at: number): number {
  for (let i = 0; i < value.length; i++) {
    let c = value.charCodeAt(i);
    if (c < 0x80) {
      out[at++] = c;
    } else if (c < 0x800) {
      out[at++] = 0xc0 | (c >> 6);
      out[at++] = 0x80 | (c & 0x3f);
    } else if (
      c >= 0xd800 &&
      c <= 0xdbff &&
      i + 1 < value.length &&
      isLowSurrogate(value.charCodeAt(i + 1))
    ) {
      c = 0x10000 + ((c - 0xd800) << 10) + (value.charCodeAt(++i) - 0xdc00);
      out[at++] = 0xf0 | (c >> 18);
      out[at++] = 0x80 | ((c >> 12) & 0x3f);
      out[at++] = 0x80 | ((c >> 6) & 0x3f);
      out[at++] = 0x80 | (c & 0x3f);
    } else {
      out[at++] = 0xe0 | (c >> 12);
      out[at++] = 0x80 | ((c >> 6) & 0x3f);
      out[at++] = 0x80 | (c & 0x3f);
    }
  }
  return at;
}

/** The WTF-8 bytes of `value` (no length prefix). */
export function wtf8Bytes(value: string): Uint8Array {
  const out = new Uint8Array(wtf8Length(value));
  writeInto(value, out, 0);
  return out;
}

/** Short ASCII strings are decoded byte by byte; longer ones by the TextDecoder. */
const SHORT = 16;

/** Append `value` as a length-prefixed WTF-8 byte string. */
export function writeText(e: Encoder, value: string): void {
  // ASCII (most text) is its own bytes: written in one pass; anything else measured, then copied.
  if (e.ascii(value)) return;
  e.bytes(wtf8Bytes(value));
}

/** Read a length-prefixed WTF-8 byte string; malformed bytes are a DecodeError. */
export function readText(d: Decoder): string {
  const start = d.offset;
  const bytes = d.bytes();
  let ascii = true;
  for (let i = 0; i < bytes.length; i++) {
    if ((bytes[i] as number) >= 0x80) {
      ascii = false;
      break;
    }
  }
  if (ascii && bytes.length <= SHORT) {
    let s = '';
    for (let i = 0; i < bytes.length; i++) s += String.fromCharCode(bytes[i] as number);
    return s;
  }
  try {
    return utf8.decode(bytes);
  } catch {
    // Not UTF-8: either WTF-8 with lone surrogates, or corrupt.
  }
  const decoded = decodeWtf8(bytes);
  if (decoded === null) d.fail(`malformed text starting at byte ${start}`);
  return decoded;
}

/** Strict WTF-8 decoding; null on any malformed sequence. */
function decodeWtf8(bytes: Uint8Array): string | null {
  const units: number[] = [];
  let out = '';
  for (let i = 0; i < bytes.length; ) {
    const b = bytes[i] as number;
    let c: number;
    let need: number;
    let min: number;
    if (b < 0x80) {
      c = b;
      need = 0;
      min = 0;
    } else if (b >= 0xc2 && b < 0xe0) {
      c = b & 0x1f;
      need = 1;
      min = 0x80;
    } else if (b >= 0xe0 && b < 0xf0) {
      c = b & 0x0f;
      need = 2;
      min = 0x800;
    } else if (b >= 0xf0 && b < 0xf5) {
      c = b & 0x07;
      need = 3;
      min = 0x10000;
    } else return null;
    for (let k = 1; k <= need; k++) {
      const cont = bytes[i + k];
      if (cont === undefined || (cont & 0xc0) !== 0x80) return null;
      c = (c << 6) | (cont & 0x3f);
    }
    if (c < min || c > 0x10ffff) return null;
    i += need + 1;
    if (c >= 0x10000) {
      c -= 0x10000;
      units.push(0xd800 + (c >> 10), 0xdc00 + (c & 0x3ff));
    } else units.push(c);
    if (units.length >= 4096) {
      out += String.fromCharCode(...units);
      units.length = 0;
    }
  }
  return out + String.fromCharCode(...units);
}
