/**
 * Whether a connection is still alive, from the relay's heartbeat: each tick pings, and a connection that
 * has not answered (a pong, or any frame) by the next tick is dead, unless it may be busy rather than
 * gone (issue 19).
 *
 * A browser answers a ping only once it has read every frame sent before it, and it stops reading from
 * the socket while the page (a window's worker) does not take in what was read: a window applying a 1 MB
 * paste in every engine holds its thread for seconds, tens of seconds on a loaded machine. The relay,
 * having sent it those megabytes, then timed it out and closed it, though it was working through them;
 * the window reconnected and was sent its whole state again. So a connection gets one more tick per
 * `BUSY_BYTES` it was sent since it last answered (what it takes in takes it longer the more there is),
 * up to `MAX_GRACE_TICKS`. One sent little (a dead client in a quiet room) is dropped at the first missed
 * answer, as before; a dead one that was sent megabytes up to two minutes later. A connection that takes
 * in nothing while the relay's buffer for it fills is the slow-consumer rule's to close, which this does
 * not change.
 */

/** Bytes sent since the last answer per tick of grace: a missed ping may be queued behind them. */
export const BUSY_BYTES = 256 * 1024;
/** The most ticks a connection that may be busy gets beyond the first missed answer. */
export const MAX_GRACE_TICKS = 7;

export class Liveness {
  private answered = true;
  private missed = 0;
  private unanswered = 0;

  /** A frame of `bytes` went to the connection. */
  sent(bytes: number): void {
    this.unanswered += bytes;
  }

  /** The connection answered a ping or sent a frame: it is alive. */
  heard(): void {
    this.answered = true;
    this.missed = 0;
    this.unanswered = 0;
  }

  /**
   * A heartbeat tick: 'ping' (it answered since the last tick: ask again), 'wait' (it did not, but it may
   * be busy taking in what it was sent: the ping still waits for it), or 'dead'.
   */
  tick(): 'ping' | 'wait' | 'dead' {
    if (this.answered) {
      this.answered = false;
      return 'ping';
    }
    const grace = Math.min(MAX_GRACE_TICKS, Math.floor(this.unanswered / BUSY_BYTES));
    if (this.missed < grace) {
      this.missed++;
      return 'wait';
    }
    return 'dead';
  }
}
