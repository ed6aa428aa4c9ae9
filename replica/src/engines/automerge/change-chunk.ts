/** Automerge's change chunks told apart from its sync messages by their first bytes (no library needed). */

/** The first bytes of every Automerge change chunk; sync messages start with 0x42 or 0x43. */
export const CHANGE_MAGIC = [0x85, 0x6f, 0x4a, 0x83] as const;

/** Whether a payload is change chunks (Automerge's magic bytes) rather than a sync message (0x42, 0x43). */
export function isChangeChunk(payload: Uint8Array): boolean {
  return CHANGE_MAGIC.every((byte, i) => payload[i] === byte);
}
