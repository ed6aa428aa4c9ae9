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
 * in) is answered at once (past the quiet rounds below), and small repairs (a dropped keystroke) go
 * every round as before.
 *
 * And for `BASE_ROUNDS` rounds (more the larger it is) after a large payload went to the peer, its hellos wait whatever state
 * they report: a peer that took in part of what is on its way (an engine's paste in pieces, or another
 * engine's frame before) reports a new state, and answering it sent the rest again while it was still on
 * the wire (issue 19: a 1 MB paste twice per engine on a link). The same holds when a large change reaches
 * the peer by another route: a node that takes in a large change from one peer does not pass it on to its
 * other peers, which on a relay got the same broadcast frame (`arriving`). A peer that is not linked to
 * the change's source (a cut link) gets it in the answer after that wait: the multi-hop repair
 * anti-entropy provides, later by a few rounds.
 *
 * Time is counted in the session's anti-entropy rounds, which the replica's (injected) timers drive.
 */

/** Bytes sent to a peer since its last new state above which a repeated answer waits. */
export const LARGE_BYTES = 64 * 1024;
/** Rounds a repeated large answer waits at first (8 s at the default 2 s period). */
export const BASE_ROUNDS = 4;
/** The longest wait, in rounds, however often the answer was repeated: repair stays bounded. */
export const MAX_ROUNDS = 32;
/**
 * The quiet rounds after a large payload grow by one per this many bytes past `LARGE_BYTES`: the more is
 * on its way, the longer a busy peer takes it in (a 1 MB paste: 11 rounds, 22 s at the default period).
 */
export const QUIET_BYTES_PER_ROUND = 128 * 1024;

/** Rounds to hold every answer after `bytes` went (or are going) to the peer. */
function quietRounds(bytes: number): number {
  return Math.min(MAX_ROUNDS, BASE_ROUNDS + Math.floor((bytes - LARGE_BYTES) / QUIET_BYTES_PER_ROUND));
}

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
  /** Before this round, answers wait: a large payload is on its way to the peer (ours or another's). */
  private quietUntil = 0;
  /** Bytes reaching the peer from other peers since it reported `state`. */
  private arrivingBytes = 0;

  /** An anti-entropy round passed. */
  tick(): void {
    this.round++;
  }

  /** A payload of `bytes` went to the peer (a live change or an answer). */
  shipped(bytes: number): void {
    const before = this.sentBytes;
    this.sentBytes += bytes;
    if (before < LARGE_BYTES && this.sentBytes >= LARGE_BYTES) this.since = this.round;
    // Counted from when the large data went, so keystrokes after it do not prolong the wait.
    if (this.sentBytes >= LARGE_BYTES)
      this.quietUntil = Math.max(this.quietUntil, this.since + quietRounds(this.sentBytes));
  }

  /**
   * A change of `bytes` is reaching the peer from another peer (the one that sent it to this node). Once
   * `LARGE_BYTES` arrived that way since the peer's last new state (a paste in pieces, too), each one
   * starts the wait afresh.
   */
  arriving(bytes: number): void {
    this.arrivingBytes += bytes;
    if (this.arrivingBytes >= LARGE_BYTES)
      this.quietUntil = Math.max(this.quietUntil, this.round + quietRounds(this.arrivingBytes));
  }

  /** The peer sent `hello`: whether to answer it now (the caller then sends what the peer lacks). */
  answer(hello: Uint8Array): boolean {
    if (this.round < this.quietUntil) return false;
    if (this.state === undefined || !sameBytes(this.state, hello)) {
      this.state = hello.slice();
      this.sentBytes = 0;
      this.arrivingBytes = 0;
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
