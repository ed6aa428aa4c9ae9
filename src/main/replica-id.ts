/**
 * Replica ids as the app uses them: folder names under <userData>/replicas and node ids in the relay,
 * so they are restricted to a charset that can neither escape a folder nor confuse a URL or a log line.
 */

const SAFE_REPLICA_ID = /^[a-z0-9][a-z0-9-]{0,63}$/;
const ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const GENERATED_LENGTH = 10;

export class InvalidReplicaIdError extends Error {
  override readonly name = 'InvalidReplicaIdError';
}

/** True for 1–64 characters of lowercase letters, digits and '-', not starting with '-'. */
export function isSafeReplicaId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_REPLICA_ID.test(value);
}

export function assertSafeReplicaId(value: unknown): string {
  if (!isSafeReplicaId(value)) {
    const shown = typeof value === 'string' ? JSON.stringify(value.slice(0, 80)) : typeof value;
    throw new InvalidReplicaIdError(
      `invalid replica id ${shown}: expected 1-64 characters of a-z, 0-9 and '-', not starting with '-'`,
    );
  }
  return value;
}

/**
 * A fresh replica id from `randomBytes` (crypto in the app, seeded in tests).
 * 10 characters of base 36 is about 51 bits: collisions between one user's replicas are negligible.
 */
export function newReplicaId(randomBytes: (length: number) => Uint8Array): string {
  let id = '';
  while (id.length < GENERATED_LENGTH) {
    const bytes = randomBytes(GENERATED_LENGTH);
    if (bytes.length === 0) throw new RangeError('randomBytes returned no bytes');
    for (const byte of bytes) {
      // 252 = 7 × 36: rejecting bytes ≥ 252 keeps every character equally likely.
      if (byte < 252 && id.length < GENERATED_LENGTH) id += ALPHABET[byte % ALPHABET.length];
    }
  }
  return id;
}
