/**
 * Digest gossip: over the same links as the sync sessions, a replica tells each reachable peer its state
 * digest per engine (on link-up, shortly after a change — coalesced, and while changes keep coming at
 * most once per `intervalMs`, so typing costs a few announcements a second, not one per keystroke —
 * and again every anti-entropy round,
 * which repairs lost announcements), and keeps what its peers announced: the strongest evidence that two
 * replicas hold the same state (a Yjs state vector, for one, leaves deletions out). A peer's digests are
 * forgotten when its link goes down, so they are never older than the link that carried them.
 */
import { type Cancel, encodeDigestMessage, type Timers } from '@converge/protocol';
import type { EngineName } from '../engine-name.ts';
import type { ReplicaEvents } from './events.ts';
import type { Problems } from './problems.ts';

/** Digests per engine, as one peer announced them (engines it did not announce are absent). */
export type PeerDigests = Readonly<Partial<Record<EngineName, string>>>;

interface HeardDigest {
  readonly seq: number;
  readonly digest: string;
}

export interface GossipHost {
  readonly timers: Timers;
  /** How long after a change the new digests are announced (one announcement for a burst). */
  readonly delayMs: number;
  /** The least time between two announcements of changes (a longer burst: one every intervalMs). */
  readonly intervalMs: number;
  /** The engines, in display order, and their digest now. */
  engines(): readonly EngineName[];
  digest(engine: EngineName): string;
  /** Put a replica message on the engine's channel to the peer. */
  send(peer: string, engine: EngineName, payload: Uint8Array): void;
  /** Run `fill`, then put what it sent on the wire at once (what every peer gets alike goes once: PeerSessions.fanOut). */
  fanOut(fill: () => void): void;
  /** Whether the peer's link is up (sessions open). */
  linked(peer: string): boolean;
  closed(): boolean;
  readonly events: ReplicaEvents;
  readonly problems: Problems;
}

export class DigestGossip {
  /** peer → engine → the newest announcement heard from it since its link came up */
  private readonly heard = new Map<string, Map<EngineName, HeardDigest>>();
  /** peer (with open sessions) → engine → the digest last announced to it */
  private readonly told = new Map<string, Map<EngineName, string>>();
  /** `peerDigests()` as last built; undefined once something changed. */
  private view: ReadonlyMap<string, PeerDigests> | undefined;
  /** Numbers our announcements, so peers keep the newest despite duplicates and reordering. */
  private seq = 0;
  private cancelAnnouncement: Cancel | undefined;
  /** When changes were last announced (the host's clock). */
  private announcedAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly host: GossipHost) {}

  /** The peer's link came up: tell it every digest. */
  linkUp(peer: string): void {
    this.told.set(peer, new Map());
    this.announce([peer], true);
  }

  /** The peer's link went down: forget what it told us, and what we told it. */
  linkDown(peer: string): void {
    this.told.delete(peer);
    const heard = this.heard.get(peer);
    if (heard === undefined) return;
    this.heard.delete(peer);
    if (heard.size === 0) return;
    this.view = undefined;
    this.host.events.emit({ type: 'peer-digests', peer });
  }

  /** Something changed: announce the new digests soon, once for a burst of changes. */
  changed(): void {
    if (this.host.closed() || this.cancelAnnouncement !== undefined || this.told.size === 0) return;
    const { timers, delayMs, intervalMs } = this.host;
    const wait = Math.max(delayMs, this.announcedAt + intervalMs - timers.now());
    this.cancelAnnouncement = timers.setTimeout(() => {
      this.cancelAnnouncement = undefined;
      this.announcedAt = timers.now();
      this.announce([...this.told.keys()], false);
    }, wait);
  }

  /** Announcements are not acknowledged: repeating them repairs one that chaos dropped. */
  antiEntropy(): void {
    this.announce([...this.told.keys()], true);
  }

  /** A peer announced its digest of an engine. */
  heardFrom(peer: string, engine: EngineName, message: { seq: number; digest: string }): void {
    // Only within a link-up period: a digest must not outlive the link that carried it.
    if (!this.host.linked(peer)) return;
    let heard = this.heard.get(peer);
    if (heard === undefined) {
      heard = new Map();
      this.heard.set(peer, heard);
    }
    const previous = heard.get(engine);
    if (previous !== undefined && previous.seq >= message.seq) return; // a duplicate, or overtaken
    heard.set(engine, { seq: message.seq, digest: message.digest });
    if (previous?.digest === message.digest) return;
    this.view = undefined;
    this.host.events.emit({ type: 'peer-digests', peer });
  }

  /** The digests reachable peers announced, per engine, by peer id (sorted); the same object until it changes. */
  peerDigests(): ReadonlyMap<string, PeerDigests> {
    if (this.view === undefined) {
      const view = new Map<string, PeerDigests>();
      for (const peer of [...this.heard.keys()].sort()) {
        const heard = this.heard.get(peer) as Map<EngineName, HeardDigest>;
        if (heard.size === 0) continue;
        const digests: Partial<Record<EngineName, string>> = {};
        for (const engine of this.host.engines()) {
          const digest = heard.get(engine)?.digest;
          if (digest !== undefined) digests[engine] = digest;
        }
        view.set(peer, digests);
      }
      this.view = view;
    }
    return this.view;
  }

  /** The engines changed (one finished loading): `peerDigests()` is built again with them. */
  enginesChanged(): void {
    this.view = undefined;
  }

  /** Announce nothing more. */
  stop(): void {
    this.cancelAnnouncement?.();
    this.cancelAnnouncement = undefined;
  }

  /** Stop, and forget what the peers announced. */
  close(): void {
    this.stop();
    this.heard.clear();
    this.view = undefined;
  }

  /**
   * Tell peers with open sessions our digest of every engine (`all`) or of those they were not told yet.
   * Each engine's announcement is one message, whatever the number of peers (one sequence number), so
   * peers told alike get one broadcast frame.
   */
  private announce(peers: readonly string[], all: boolean): void {
    if (this.host.closed()) return;
    this.host.fanOut(() => {
      for (const engine of this.host.engines()) {
        const digest = this.host.problems.guard(
          { kind: 'engine-error', engine },
          'cannot announce the digest',
          () => this.host.digest(engine),
        );
        if (digest === undefined) continue;
        let payload: Uint8Array | undefined;
        for (const peer of peers) {
          const told = this.told.get(peer);
          if (told === undefined || (!all && told.get(engine) === digest)) continue;
          payload ??= this.host.problems.guard(
            { kind: 'engine-error', engine, peer },
            'cannot announce the digest',
            () => encodeDigestMessage(++this.seq, digest),
          );
          if (payload === undefined) break;
          told.set(engine, digest);
          this.host.send(peer, engine, payload);
        }
      }
    });
  }
}
