/**
 * The replica's presence: what this window announces about the person at it (name, colour, panel,
 * caret), and what it last heard from every peer. Like Yjs awareness, but on the replica's own
 * transport, so it follows the network exactly as edits do: a cut link hides a peer's presence (the peer
 * is listed as cut off), a peer that left is listed as offline, and one that stops renewing its presence
 * is forgotten after PRESENCE_TIMEOUT_MS. Nothing here is stored.
 *
 * A replica announces nothing until its presence is first set (the relay's storage peer never sets it).
 */
import {
  type Cancel,
  type ConnectionState,
  decodeReplicaMessage,
  encodePresenceMessage,
  every,
  type LinkDownReason,
  PRESENCE_RENEW_MS,
  PRESENCE_TIMEOUT_MS,
  type PresenceState,
  presenceProblem,
  type Timers,
} from '@converge/protocol';
import { ReplicaError, type ReplicaEvents } from './events.ts';
import type { Problems } from './problems.ts';

/** What the window sets; the sequence number is the replica's to keep. */
export type LocalPresence = Omit<PresenceState, 'seq'>;

/**
 * here: the link is up and the peer renewed its presence in time. cut-off: the link between us was cut
 * (both are still connected). offline: the peer left, or this window is offline itself.
 */
export type PeerPresenceStatus = 'here' | 'cut-off' | 'offline';

export interface PeerPresence extends LocalPresence {
  readonly id: string;
  readonly status: PeerPresenceStatus;
  /** When its presence was last heard (the replica's clock, ms). */
  readonly heardAt: number;
}

export interface PresenceHost {
  readonly timers: Timers;
  /** Put a payload on the presence channel to one peer. */
  send(peer: string, payload: Uint8Array): void;
  /** Peers whose link is up. */
  linked(): readonly string[];
  readonly events: ReplicaEvents;
  readonly problems: Problems;
  closed(): boolean;
}

interface Heard {
  readonly seq: number;
  readonly state: LocalPresence;
  status: PeerPresenceStatus;
  heardAt: number;
}

export class Presence {
  private local: PresenceState | undefined;
  private readonly heard = new Map<string, Heard>();
  private listed: readonly PeerPresence[] = [];
  private cancelRenew: Cancel = () => {};

  constructor(private readonly host: PresenceHost) {}

  /** Renew our presence and forget silent peers, every PRESENCE_RENEW_MS. */
  start(): void {
    this.cancelRenew = every(this.host.timers, PRESENCE_RENEW_MS, () => this.renew());
  }

  stop(): void {
    this.cancelRenew();
  }

  /** This window's presence as last set (undefined until set). */
  own(): PresenceState | undefined {
    return this.local;
  }

  /** Set and announce this window's presence to every linked peer. */
  set(state: LocalPresence): void {
    this.check(state);
    this.local = { ...state, seq: (this.local?.seq ?? 0) + 1 };
    this.broadcast();
  }

  /** Throws ReplicaError when `state` cannot be announced. */
  check(state: LocalPresence): void {
    const problem = presenceProblem({ ...state, seq: 0 });
    if (problem !== undefined) throw new ReplicaError(`presence: ${problem}`);
  }

  /** Peers heard from, sorted by id; the same array until something in it changes (a 'presence' event). */
  peers(): readonly PeerPresence[] {
    return this.listed;
  }

  linkUp(peer: string): void {
    if (this.local !== undefined) this.sendTo(peer, this.local);
  }

  linkDown(peer: string, reason: LinkDownReason | undefined): void {
    const entry = this.heard.get(peer);
    if (entry === undefined) return;
    entry.status = reason === 'cut' ? 'cut-off' : 'offline';
    this.changed();
  }

  connectionChanged(state: ConnectionState): void {
    if (state === 'online') return;
    let any = false;
    for (const entry of this.heard.values()) {
      if (entry.status === 'here') {
        entry.status = 'offline';
        any = true;
      }
    }
    if (any) this.changed();
  }

  /** A payload on the presence channel. Malformed ones are reported and dropped. */
  receive(from: string, payload: Uint8Array): void {
    if (this.host.closed()) return;
    const message = this.host.problems.guard(
      { kind: 'rejected-payload', peer: from },
      `rejected a malformed ${payload.length}-byte presence payload`,
      () => decodeReplicaMessage(payload),
    );
    if (message === undefined) return;
    if (message.kind !== 'presence') {
      this.host.problems.report({
        kind: 'rejected-payload',
        peer: from,
        message: `a ${message.kind} message on the presence channel`,
      });
      return;
    }
    const { seq, ...state } = message.presence;
    const known = this.heard.get(from);
    // Older than what we hold (chaos reorders and duplicates): keep the newer one, but the peer is here.
    const fresh = known === undefined || seq > known.seq;
    this.heard.set(from, {
      seq: fresh ? seq : known.seq,
      state: fresh ? state : known.state,
      status: 'here',
      heardAt: this.host.timers.now(),
    });
    if (fresh || known.status !== 'here') this.changed();
  }

  private renew(): void {
    if (this.host.closed()) return;
    this.broadcast();
    const now = this.host.timers.now();
    let any = false;
    for (const [peer, entry] of this.heard) {
      if (entry.status === 'here' && now - entry.heardAt >= PRESENCE_TIMEOUT_MS) {
        this.heard.delete(peer);
        any = true;
      }
    }
    if (any) this.changed();
  }

  private broadcast(): void {
    const { local } = this;
    if (local === undefined) return;
    for (const peer of this.host.linked()) this.sendTo(peer, local);
  }

  private sendTo(peer: string, state: PresenceState): void {
    this.host.send(peer, encodePresenceMessage(state));
  }

  private changed(): void {
    this.listed = [...this.heard]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([id, entry]) => ({ id, ...entry.state, status: entry.status, heardAt: entry.heardAt }));
    this.host.events.emit({ type: 'presence' });
  }
}
