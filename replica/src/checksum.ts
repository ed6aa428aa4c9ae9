/**
 * CRC-32 (the zlib/PNG polynomial) over bytes, on every platform: the store codec checksums each record
 * and snapshot with it, in the browser (IndexedDB keeps no checksum of its own) as in Node. Node's zlib
 * computes it natively (several GB/s, no warm-up: opening a replica checksums its whole snapshot); the
 * browser uses the crc-32 package. Both give the same value.
 */
import CRC32 from 'crc-32';

type Crc32 = (bytes: Uint8Array) => number;

const native = (
  globalThis as {
    process?: { getBuiltinModule?: (id: string) => { crc32?: (data: Uint8Array) => number } | undefined };
  }
).process?.getBuiltinModule?.('node:zlib')?.crc32;

/** The CRC-32 of `bytes` as an unsigned 32-bit integer (equal to node:zlib's crc32). */
export const crc32: Crc32 = native ?? ((bytes) => CRC32.buf(bytes) >>> 0);

/**
 * CRC-32 lookup tables (reflected zlib polynomial), for spans too short to be worth a call into zlib:
 * table t (at t × 256) is the CRC of a byte followed by t zero bytes, so eight bytes take one step
 * ("slicing by 8"): a keystroke's ~80-byte record in about 60 ns instead of 150 byte by byte.
 */
const TABLE = (() => {
  const table = new Int32Array(256 * 8);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c;
  }
  for (let n = 0; n < 256; n++) {
    for (let t = 1; t < 8; t++) {
      const previous = table[(t - 1) * 256 + n] as number;
      table[t * 256 + n] = (previous >>> 8) ^ (table[previous & 0xff] as number);
    }
  }
  return table;
})();

/** Below this many bytes the table beats a view plus a call into zlib (a store record of a keystroke). */
const SHORT_SPAN = 256;

/**
 * The CRC-32 of `bytes[from, to)` (equal to `crc32(bytes.subarray(from, to))`) without making a view of
 * short spans: a keystroke's record is checksummed once per edit.
 */
export function crc32Of(bytes: Uint8Array, from: number, to: number): number {
  if (to - from >= SHORT_SPAN) return crc32(bytes.subarray(from, to));
  const t = TABLE;
  let crc = -1;
  let i = from;
  for (; i + 8 <= to; i += 8) {
    const low =
      crc ^
      ((bytes[i] as number) |
        ((bytes[i + 1] as number) << 8) |
        ((bytes[i + 2] as number) << 16) |
        ((bytes[i + 3] as number) << 24));
    crc =
      (t[1792 + (low & 0xff)] as number) ^
      (t[1536 + ((low >>> 8) & 0xff)] as number) ^
      (t[1280 + ((low >>> 16) & 0xff)] as number) ^
      (t[1024 + (low >>> 24)] as number) ^
      (t[768 + (bytes[i + 4] as number)] as number) ^
      (t[512 + (bytes[i + 5] as number)] as number) ^
      (t[256 + (bytes[i + 6] as number)] as number) ^
      (t[bytes[i + 7] as number] as number);
  }
  for (; i < to; i++) crc = (t[(crc ^ (bytes[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ -1) >>> 0;
}
