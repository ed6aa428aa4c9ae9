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
