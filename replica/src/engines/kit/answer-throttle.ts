/**
 * When a session answers a peer's hello (what the peer lacks), per peer: a large answer is not sent
 * again while an earlier one may still be on its way or waiting to be applied (issue 19).
 *
 * Each anti-entropy round the peer repeats its hello; a peer that has not yet taken in a 1 MB paste
 * reports the same state every round, and answering each report with the same megabyte filled the
 * lagging peer's connection until the relay dropped frames or closed it as a slow consumer. So, while
 * the peer reports the state it reported before and at least `LARGE_BYTES` went to it since (live
 * changes and answers), an answer waits until a back-off has passed: `BASE_ROUNDS` of this session's
 * anti-entropy rounds, doubling with each answer repeated to the same state, up to `MAX_ROUNDS`. A
 * dropped answer is still repaired, only later; a report of another state (the peer took something
 * in) is answered at once, and small repairs (a dropped keystroke) go every round as before.
 *
 * Time is counted in the session's anti-entropy rounds, which the replica's (injected) timers drive.
 */

/** Bytes sent to a peer since its last new state above which a repeated answer waits. */
export const LARGE_BYTES = 64 * 1024;
/** Rounds a repeated large answer waits at first (8 s at the default 2 s period). */
export const BASE_ROUNDS = 4;
/** The longest wait, in rounds, however often the answer was repeated: repair stays bounded. */
export const MAX_ROUNDS = 32;

export class AnswerThrottle {
  /** The peer's last hello, as received (its bytes stand for its state). */
  private state: Uint8Array | undefined;
  /** Bytes sent to the peer since it reported `state`. */
  private sentBytes = 0;
  /** This session's anti-entropy rounds so far. */
  private round = 0;
  /** The round at which the large data now on its way went out (or was last answered again). */
  private since = 0;
  private backoff = BASE_ROUNDS;

  /** An anti-entropy round passed. */
  tick(): void {
    this.round++;
  }

  /** A payload of `bytes` went to the peer (a live change or an answer). */
  shipped(bytes: number): void {
    const before = this.sentBytes;
    this.sentBytes += bytes;
    if (before < LARGE_BYTES && this.sentBytes >= LARGE_BYTES) this.since = this.round;
  }

  /** The peer sent `hello`: whether to answer it now (the caller then sends what the peer lacks). */
  answer(hello: Uint8Array): boolean {
    if (this.state === undefined || !sameBytes(this.state, hello)) {
      this.state = hello.slice();
      this.sentBytes = 0;
      this.backoff = BASE_ROUNDS;
      this.since = this.round;
      return true;
    }
    if (this.sentBytes < LARGE_BYTES) return true;
    if (this.round - this.since < this.backoff) return false;
    this.since = this.round;
    this.backoff = Math.min(this.backoff * 2, MAX_ROUNDS);
    return true;
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
