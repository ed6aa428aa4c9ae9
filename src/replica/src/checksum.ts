/**
 * CRC-32 (the zlib/PNG polynomial) over bytes, on every platform: the store codec checksums each record
 * and snapshot with it, in the browser (IndexedDB keeps no checksum of its own) as in Node.
 */
import CRC32 from 'crc-32';

/** The CRC-32 of `bytes` as an unsigned 32-bit integer (equal to node:zlib's crc32). */
export function crc32(bytes: Uint8Array): number {
  return CRC32.buf(bytes) >>> 0;
}
