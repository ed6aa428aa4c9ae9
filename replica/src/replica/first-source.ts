/**
 * Catching up from one peer first (issue 19): a replica that links up with its room says hello, per
 * engine, to its first source (the room's storage peer, which holds what the room wrote) at once, and to
 * its other peers only once the engine holds everything the source advertised in its hello. Each peer
 * answers a hello with what the hello's version lacks: a new window that greeted every peer at once was
 * sent the whole document by each of them (at 1 MB, every open window encoding and sending a megabyte
 * per engine while the new window started, and the new window decoding every copy); greeted after the
 * source, they answer with what the source lacked (a window's edits the source has not taken in yet),
 * usually nothing.
 *
 * A source that is silent (loading, overloaded, its answer dropped) holds the other hellos back for at
 * most FIRST_SOURCE_WAIT_MS per engine, as a dropped hello would have; one that keeps sending the engine
 * payloads (its answer, which the engine may take a while to take in) for up to FIRST_SOURCE_MAX_WAIT_MS.
 * A source out of reach (not among the transport's reachable peers) holds nothing back; its link going
 * down releases whatever waits for it.
 */
import type { Cancel, Timers } from '@converge/protocol';
import type { EngineVersion, HeadsResolver } from '../engine.ts';
import type { EngineName } from '../engine-name.ts';

/** How long an engine's hellos to other peers wait for the first source, past its last payload (ms). */
export const FIRST_SOURCE_WAIT_MS = 2000;
/** The longest they wait, however busy the source keeps the engine (ms). */
export const FIRST_SOURCE_MAX_WAIT_MS = 10_000;
/**
 * While waiting, how often the engine is checked besides the payloads from the source and the engine's
 * changes (an engine may take a payload in later, in a task of its own, without a change: it held it all).
 */
export const FIRST_SOURCE_CHECK_MS = 100;

export interface FirstSourceHost {
  /** The peer to catch up from first; undefined: every peer is greeted at once. */
  readonly source: string | undefined;
  readonly timers: Timers;
  /** The peers the transport can reach now (linked or about to be). */
  reachable(): ReadonlySet<string>;
  /** Whether this replica's engine holds everything the source advertised (false before it did). */
  caughtUp(name: EngineName): boolean;
  /** The engine's hellos to other peers may go now: start its held sessions. */
  release(name: EngineName): void;
}

interface Wait {
  readonly since: number;
  until: number;
  cancel: Cancel;
}

export class FirstSource {
  /** Engines whose hellos to other peers wait: since when, until when (the timers' clock), the next check's timer. */
  private readonly waiting = new Map<EngineName, Wait>();
  /** Engines that caught up with the source (or stopped waiting) since the source's link came up. */
  private readonly done = new Set<EngineName>();

  constructor(private readonly host: FirstSourceHost) {}

  /** Whether the engine's session with `peer` must wait before its hello (the wait starts now if not yet). */
  holds(peer: string, name: EngineName): boolean {
    const { source } = this.host;
    if (source === undefined || peer === source || this.done.has(name)) return false;
    if (!this.host.reachable().has(source)) return false;
    if (!this.waiting.has(name)) {
      if (this.host.caughtUp(name)) {
        this.done.add(name);
        return false;
      }
      const now = this.host.timers.now();
      const wait: Wait = { since: now, until: now + FIRST_SOURCE_WAIT_MS, cancel: () => {} };
      this.waiting.set(name, wait);
      this.nextCheck(name, wait);
    }
    return true;
  }

  /** The source sent the engine a payload: it is answering, so the wait goes on (within the most). */
  heard(name: EngineName): void {
    const wait = this.waiting.get(name);
    if (wait === undefined) return;
    const now = this.host.timers.now();
    wait.until = Math.min(
      wait.since + FIRST_SOURCE_MAX_WAIT_MS,
      Math.max(wait.until, now + FIRST_SOURCE_WAIT_MS),
    );
  }

  /** Something changed that may have caught the engine up (a payload from the source, a change). */
  check(name: EngineName): void {
    if (this.waiting.has(name) && this.host.caughtUp(name)) this.finish(name);
  }

  /** The source's link went down: nothing waits for it, and its next link-up is caught up from again. */
  sourceDown(): void {
    const names = [...this.waiting.keys()];
    for (const name of names) this.finish(name);
    this.done.clear();
  }

  /** The replica closed: no timer left behind. */
  close(): void {
    for (const wait of this.waiting.values()) wait.cancel();
    this.waiting.clear();
  }

  private nextCheck(name: EngineName, wait: Wait): void {
    const { timers } = this.host;
    wait.cancel = timers.setTimeout(
      () => {
        if (this.waiting.get(name) !== wait) return;
        if (timers.now() >= wait.until || this.host.caughtUp(name)) this.finish(name);
        else this.nextCheck(name, wait);
      },
      Math.max(0, Math.min(wait.until - timers.now(), FIRST_SOURCE_CHECK_MS)),
    );
  }

  private finish(name: EngineName): void {
    const wait = this.waiting.get(name);
    if (wait === undefined) return;
    wait.cancel();
    this.waiting.delete(name);
    this.done.add(name);
    this.host.release(name);
  }
}

/**
 * Whether a replica at version `ours` holds everything a peer at `theirs` does: every counter of a
 * vector at least the peer's; for heads, none of the peer's heads unknown here (`heads`, the engine's
 * resolver; without one, each of the peer's heads among ours).
 */
export function covers(ours: EngineVersion, theirs: EngineVersion, heads?: HeadsResolver): boolean {
  if (ours.kind === 'vector' && theirs.kind === 'vector') {
    for (const [replica, counter] of Object.entries(theirs.entries))
      if ((ours.entries[replica] ?? 0) < counter) return false;
    return true;
  }
  if (ours.kind === 'heads' && theirs.kind === 'heads') {
    if (heads !== undefined) return heads.unknown(theirs.heads).length === 0;
    const held = new Set(ours.heads);
    return theirs.heads.every((head) => held.has(head));
  }
  return false;
}
