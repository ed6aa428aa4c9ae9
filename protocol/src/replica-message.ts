/**
 * Replica messages: what a data frame's payload carries between two replicas. The Replica wraps and
 * unwraps them; engines see only their own sync messages, and the relay never reads any of this.
 * A new kind of message between replicas (presence, say) is a new kind here: a relay forwards it
 * like any payload.
 */
import { DecodeError, Decoder, Encoder } from '@converge/crdt-core';
import { ProtocolError } from './frames.ts';
import { type PresenceState, readPresence, writePresence } from './presence.ts';

/** The first byte of a data frame's payload. */
export const ReplicaMessageKind = {
  /** The rest is the engine's own sync message, unchanged. */
  Sync: 0,
  /** The sender's state digest for the frame's engine: a sequence number (varint), then the digest. */
  Digest: 1,
  /**
   * The sender's presence (presence.ts): who is at the window and where its caret is. Sent on
   * PRESENCE_CHANNEL, never stored, forgotten by receivers when it is not renewed in time.
   */
  Presence: 2,
} as const;
export type ReplicaMessageKind = (typeof ReplicaMessageKind)[keyof typeof ReplicaMessageKind];

export const MAX_DIGEST_LENGTH = 128;
/** Digests are printable ASCII without spaces (engines produce hex). */
const DIGEST_PATTERN = /^[\x21-\x7e]+$/;

export type ReplicaMessage =
  /** `payload` is a view into the decoded bytes (no copy). */
  | { readonly kind: 'sync'; readonly payload: Uint8Array }
  /**
   * `seq` grows with every announcement the sender makes, so a receiver keeps the newest digest
   * even when chaos duplicates or reorders announcements.
   */
  | { readonly kind: 'digest'; readonly seq: number; readonly digest: string }
  | { readonly kind: 'presence'; readonly presence: PresenceState };

/** Why a digest cannot be announced, or undefined when it can. */
export function digestProblem(value: unknown): string | undefined {
  if (typeof value !== 'string') return 'must be a string';
  if (value.length === 0) return 'must not be empty';
  if (value.length > MAX_DIGEST_LENGTH) return `must be at most ${MAX_DIGEST_LENGTH} characters`;
  if (!DIGEST_PATTERN.test(value)) return 'may only contain printable ASCII without spaces';
  return undefined;
}

/** Wrap an engine's sync message (one copy, so the engine may reuse its buffer). */
export function encodeSyncMessage(payload: Uint8Array): Uint8Array {
  if (!(payload instanceof Uint8Array)) throw new ProtocolError('payload must be a Uint8Array');
  const out = new Uint8Array(payload.length + 1);
  out[0] = ReplicaMessageKind.Sync;
  out.set(payload, 1);
  return out;
}

/** An announcement of the sender's digest for the engine the data frame is tagged with. */
export function encodeDigestMessage(seq: number, digest: string): Uint8Array {
  if (!(Number.isSafeInteger(seq) && seq >= 0))
    throw new ProtocolError(`digest sequence number must be a non-negative safe integer, got ${seq}`);
  const problem = digestProblem(digest);
  if (problem !== undefined) throw new ProtocolError(`digest ${JSON.stringify(digest)} ${problem}`);
  return new Encoder(4 + 8 + digest.length).byte(ReplicaMessageKind.Digest).uint(seq).string(digest).finish();
}

/** An announcement of the sender's presence (sent on PRESENCE_CHANNEL). */
export function encodePresenceMessage(state: PresenceState): Uint8Array {
  return writePresence(
    new Encoder(32 + state.name.length * 3 + state.panel.length).byte(ReplicaMessageKind.Presence),
    state,
  ).finish();
}

/**
 * Decode a data frame's payload. Throws `DecodeError` for an unknown kind, an empty payload, or a
 * malformed, truncated, invalid or trailing-byte digest announcement. A sync message's payload is
 * not checked here: the engine's session judges it.
 */
export function decodeReplicaMessage(bytes: Uint8Array): ReplicaMessage {
  const d = new Decoder(bytes);
  const kind = d.byte();
  switch (kind) {
    case ReplicaMessageKind.Sync:
      return { kind: 'sync', payload: bytes.subarray(1) };
    case ReplicaMessageKind.Digest: {
      const seq = d.uint();
      const start = d.offset;
      const digest = d.string();
      const problem = digestProblem(digest);
      if (problem !== undefined) throw new DecodeError(`digest ${problem}`, start);
      d.end();
      return { kind: 'digest', seq, digest };
    }
    case ReplicaMessageKind.Presence: {
      const presence = readPresence(d);
      d.end();
      return { kind: 'presence', presence };
    }
    default:
      throw new DecodeError(`unknown replica message kind ${kind}`, 0);
  }
}
