/**
 * A checksummed container for the bytes an engine hands to the store (and to peers, where its own
 * format carries no checksum).
 *
 * Layout: "CE" magic, format version, kind, body, then 8 bytes of FNV-1a 64 over everything before.
 * Yjs updates carry no integrity check of their own (a flipped bit in a Yjs update usually still
 * decodes, into different content), Automerge's incremental loader silently ignores a damaged tail,
 * and crdt-core's codecs check structure but not content (a flipped bit in a character still decodes);
 * the checksum turns all of these into a clear DecodeError instead of quietly wrong state.
 */
import { DecodeError } from '@converge/crdt-core';
import { fnv1a64Bytes } from './fnv1a64.ts';

const MAGIC_0 = 0x43; // 'C'
const MAGIC_1 = 0x45; // 'E'
const ENVELOPE_VERSION = 1;
const HEADER_BYTES = 4;
const CHECKSUM_BYTES = 8;

/**
 * What an envelope holds: a byte each engine declares for its own kinds of bytes (next to its codec),
 * so that one kind of its bytes is never read as another. Bytes reach an engine only with its own name
 * on them (store records, channels), so kinds need only be distinct within an engine; 1–8 were handed
 * out when one table held them all, and a new engine picks others so a dump stays readable.
 */
export type EnvelopeKind = number;

export function seal(kind: EnvelopeKind, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(HEADER_BYTES + body.length + CHECKSUM_BYTES);
  out[0] = MAGIC_0;
  out[1] = MAGIC_1;
  out[2] = ENVELOPE_VERSION;
  out[3] = kind;
  out.set(body, HEADER_BYTES);
  out.set(fnv1a64Bytes(out.subarray(0, HEADER_BYTES + body.length)), HEADER_BYTES + body.length);
  return out;
}

/** The body of an envelope of the expected kind; throws DecodeError on anything else. */
export function unseal(bytes: Uint8Array, kind: EnvelopeKind): Uint8Array {
  return unsealAny(bytes, [kind]).body;
}

/** The kind and body of an envelope of one of the expected kinds; throws DecodeError on anything else. */
export function unsealAny(
  bytes: Uint8Array,
  kinds: readonly EnvelopeKind[],
): { readonly kind: EnvelopeKind; readonly body: Uint8Array } {
  const problem = headerProblem(bytes, kinds, 0);
  if (problem !== undefined) throw problem;
  const kind = bytes[3] as EnvelopeKind;
  const end = bytes.length - CHECKSUM_BYTES;
  const expected = fnv1a64Bytes(bytes.subarray(0, end));
  for (let i = 0; i < CHECKSUM_BYTES; i++) {
    if (bytes[end + i] !== expected[i]) throw new DecodeError('checksum mismatch', end);
  }
  return { kind, body: bytes.subarray(HEADER_BYTES, end) };
}

/**
 * For a descriptor's `describePayload`: the name of a sealed message by the first byte of its body, or
 * 'unrecognised' for anything else (not an envelope, another kind, no body, an unknown first byte). Never
 * throws. It reads the header and that byte only, not the checksum: the wire log names every frame sent
 * and received, and verifying a 1 MB message's checksum here (the receiving engine verifies it again) was
 * a second pass over a new window's first document before its text was shown. A damaged body is named by
 * its first byte; the engine refuses it.
 */
export function sealedMessageKind(
  payload: Uint8Array,
  kind: EnvelopeKind,
  names: Readonly<Record<number, string>>,
): string {
  if (headerProblem(payload, [kind], 1) !== undefined) return 'unrecognised';
  return names[payload[HEADER_BYTES] as number] ?? 'unrecognised';
}

/**
 * What is wrong with `bytes` as an envelope of one of `kinds` holding at least `minBody` body bytes,
 * judged by its length and header alone (the checksum is the caller's); undefined if nothing.
 */
function headerProblem(
  bytes: Uint8Array,
  kinds: readonly EnvelopeKind[],
  minBody: number,
): DecodeError | undefined {
  if (!(bytes instanceof Uint8Array)) return new DecodeError('input is not a Uint8Array', 0);
  if (bytes.length < HEADER_BYTES + minBody + CHECKSUM_BYTES) return new DecodeError('input too short', 0);
  if (bytes[0] !== MAGIC_0 || bytes[1] !== MAGIC_1) return new DecodeError('bad magic bytes', 0);
  if (bytes[2] !== ENVELOPE_VERSION) return new DecodeError(`unsupported envelope version ${bytes[2]}`, 2);
  if (!kinds.includes(bytes[3] as EnvelopeKind))
    return new DecodeError(`expected envelope kind ${kinds.join(' or ')}, found ${bytes[3]}`, 3);
  return undefined;
}
