/**
 * The sync sessions of a replica and its traffic: on link-up one session per engine is opened and
 * started (its handshake); changes are forwarded to open sessions (each decides what its peer still
 * lacks, and skips echoing a peer's own update); link-down closes them and nothing more is sent; each
 * anti-entropy round lets every session re-advertise its version so whatever chaos dropped is repaired.
 *
 * On the wire every payload is a replica message on its engine's channel: this wraps the engines' sync
 * messages and unwraps them again, so engines never see the digest announcements (digest-gossip.ts).
 *
 * A fan-out (a change handed to every session, a round of announcements or of anti-entropy) collects what
 * each session sends, then puts it on the wire: what every peer with an open session of the engine would
 * get alike (a live keystroke, a digest, a hello) goes as one broadcast frame that the relay fans out,
 * obeying its link table, instead of one frame per peer; anything else goes to its peer as it was.
 *
 * Nothing leaves ahead of the local records written before it: a session's answer to a peer's hello
 * carries whatever its engine holds, so a payload put on the wire while a local record (an intent, a
 * deferred intent an engine took) is not durable yet waits until it is. Had it gone, and the record been
 * lost (a reload), the peer would hold ops the window no longer knows: a deferred intent taken again on
 * reopening, under new op ids, is then there twice.
 *
 * With a first source (a window: the room's storage peer), an engine's sessions with the other peers
 * start (say hello) only once the engine caught up with the source, so they answer with what the source
 * lacked, not the whole document again (first-source.ts).
 */
import {
  type ConnectionState,
  decodeReplicaMessage,
  encodeSyncMessage,
  type Timers,
  type Transport,
} from '@converge/protocol';
import type { EngineChange, EngineVersion, SyncSession } from '../engine.ts';
import type { EngineName } from '../engine-name.ts';
import type { EngineRegistry } from '../engine-registry.ts';
import type { DigestGossip } from './digest-gossip.ts';
import { ReplicaError, type ReplicaEvents } from './events.ts';
import { covers, FirstSource } from './first-source.ts';
import type { HostedEngines } from './hosted-engines.ts';
import type { Problems } from './problems.ts';

/**
 * A peer's change this large or larger is not passed on to the other peers when the transport
 * broadcasts (see `PeerSessions.forward`); smaller ones (keystrokes) are, at once, to the peers the typist
 * does not reach (or all, when the transport cannot tell): a peer cut from the typist still sees them live
 * through another peer, for a few bytes per link. Low enough that
 * the pieces an engine behind catches up on a large edit in (~100 ms of its work each) are not passed on.
 */
export const PASS_ON_BELOW_BYTES = 4 * 1024;

export interface TrafficCounters {
  readonly framesSent: number;
  readonly bytesSent: number;
  readonly framesReceived: number;
  readonly bytesReceived: number;
  /** Received payloads refused: malformed replica messages, or ones the engine's session refused. */
  readonly framesRejected: number;
}

type MutableTraffic = { -readonly [K in keyof TrafficCounters]: number };

interface OpenSession {
  readonly session: SyncSession;
  /** Cleared on close so a late send from the session goes nowhere. */
  open: boolean;
  /** Not started yet: its hello waits for the engine to catch up with the first source. */
  held: boolean;
}

export interface SessionHost {
  readonly id: string;
  readonly transport: Transport;
  /** The engines hosted, and their wire codes. */
  readonly registry: EngineRegistry;
  readonly engines: HostedEngines;
  readonly gossip: DigestGossip;
  readonly events: ReplicaEvents;
  readonly problems: Problems;
  closed(): boolean;
  /** The replica's local records (intents, realised deferrals): how many were issued, how many settled. */
  readonly localWrites: LocalWrites;
  /** The peer each engine catches up from before greeting the others (first-source.ts); undefined: none. */
  readonly firstSource?: string;
  readonly timers: Timers;
  /**
   * A peer's sync message for an engine that has not loaded yet (a progressive open): the replica keeps
   * it for the engine, which takes it in once loaded (`deliver`), after opening its sessions.
   */
  hold(engine: EngineName, from: string, payload: Uint8Array): void;
}

/**
 * Counts of the local records a replica stored: `issued` so far, and `settled` (durable, or failed for
 * good). They settle in the order issued, so the first `settled` of them are settled.
 */
export interface LocalWrites {
  readonly issued: number;
  readonly settled: number;
}

/** A payload waiting for the local records issued before it to settle (see `mustWait`). */
interface WaitingPayload {
  /** It leaves once this many local records have settled. */
  readonly after: number;
  readonly name: EngineName;
  readonly payload: Uint8Array;
  /** Its peer, and that peer's sessions as they were (a link-down drops it); undefined: a broadcast. */
  readonly peer: string | undefined;
  readonly sessions: Map<EngineName, OpenSession> | undefined;
}

export class PeerSessions {
  /** peer → engine → session */
  private readonly sessions = new Map<string, Map<EngineName, OpenSession>>();
  private readonly traffic = new Map<EngineName, MutableTraffic>();
  /** The peer whose payload a session is taking in right now (changes it causes are that peer's). */
  private receiving: string | undefined;
  /** While a fan-out runs: what is sent, per engine, per peer, in order (see `fanOut`). */
  private outbox: Map<EngineName, Map<string, Uint8Array[]>> | undefined;
  /** Payloads waiting for local records to settle, in the order they were sent (see `mustWait`). */
  private readonly waiting: WaitingPayload[] = [];
  /** Per engine, peers' sync messages waiting for a forward of the engine's (see `deliverAfter`). */
  private readonly afterForward = new Map<
    EngineName,
    { until: Promise<void>; readonly messages: { from: string; sync: Uint8Array }[] }
  >();

  private readonly firstSource: FirstSource;

  constructor(private readonly host: SessionHost) {
    this.firstSource = new FirstSource({
      source: host.firstSource,
      timers: host.timers,
      reachable: () => host.transport.reachable(),
      caughtUp: (name) => this.caughtUpWithSource(name),
      release: (name) => this.release(name),
    });
    for (const name of host.engines.names) {
      this.traffic.set(name, {
        framesSent: 0,
        bytesSent: 0,
        framesReceived: 0,
        bytesReceived: 0,
        framesRejected: 0,
      });
    }
  }

  /** The peer became reachable: a session per engine, each started (its handshake), and our digests. */
  open(peer: string): void {
    const { host } = this;
    if (host.closed() || peer === host.id) return;
    if (this.sessions.has(peer)) this.close(peer, false);
    const byEngine = new Map<EngineName, OpenSession>();
    this.sessions.set(peer, byEngine);
    for (const name of host.engines.readyNames) this.openSession(peer, name, byEngine);
    for (const [name, open] of byEngine) this.startOrHold(peer, name, open);
    host.gossip.linkUp(peer);
    host.events.emit({ type: 'peers', peers: this.peers() });
  }

  /** An engine finished loading: its session with every linked peer, started. */
  engineReady(name: EngineName): void {
    if (this.host.closed()) return;
    for (const [peer, byEngine] of this.sessions) {
      if (byEngine.has(name)) continue;
      const open = this.openSession(peer, name, byEngine);
      if (open !== undefined) this.startOrHold(peer, name, open);
    }
  }

  private openSession(
    peer: string,
    name: EngineName,
    byEngine: Map<EngineName, OpenSession>,
  ): OpenSession | undefined {
    const slot: { open: boolean; held: boolean } = { open: true, held: false };
    const session = this.host.problems.guard(
      { kind: 'engine-error', engine: name, peer },
      'openSession failed',
      () =>
        this.host.engines.get(name).openSession(peer, (payload) => {
          if (slot.open) this.send(peer, name, encodeSyncMessage(payload));
        }),
    );
    if (session === undefined) return undefined;
    const open = Object.assign(slot, { session });
    byEngine.set(name, open);
    return open;
  }

  /** Start the session, unless its hello must wait for the first source (first-source.ts). */
  private startOrHold(peer: string, name: EngineName, open: OpenSession): void {
    if (this.firstSource.holds(peer, name)) open.held = true;
    else this.start(peer, name, open);
  }

  /** The engine caught up with the first source (or stopped waiting for it): its held sessions start. */
  private release(name: EngineName): void {
    if (this.host.closed()) return;
    this.fanOut(() => {
      for (const [peer, byEngine] of this.sessions) {
        const open = byEngine.get(name);
        if (open?.open !== true || !open.held) continue;
        open.held = false;
        this.start(peer, name, open);
      }
    });
  }

  /** Whether the engine holds all that the first source advertised in its hello (false before its hello). */
  private caughtUpWithSource(name: EngineName): boolean {
    const { host } = this;
    const source = host.firstSource;
    const theirs =
      source === undefined ? undefined : this.sessions.get(source)?.get(name)?.session.peerVersion();
    if (theirs === undefined || !host.engines.isReady(name)) return false;
    const caughtUp = host.problems.guard({ kind: 'engine-error', engine: name }, 'version() failed', () => {
      const engine = host.engines.get(name);
      return covers(engine.version(), theirs, host.registry.get(name).heads?.(engine));
    });
    return caughtUp === true;
  }

  private start(peer: string, name: EngineName, open: OpenSession): void {
    this.host.problems.guard({ kind: 'engine-error', engine: name, peer }, 'start() failed', () =>
      open.session.start(),
    );
  }

  /** The peer is no longer reachable: its sessions close and send nothing more. */
  close(peer: string, announce: boolean): void {
    const byEngine = this.sessions.get(peer);
    if (byEngine === undefined) return;
    this.sessions.delete(peer);
    this.host.gossip.linkDown(peer);
    if (peer === this.host.firstSource) this.firstSource.sourceDown();
    for (const [name, open] of byEngine) {
      open.open = false;
      this.host.problems.guard({ kind: 'engine-error', engine: name, peer }, 'close() failed', () =>
        open.session.close(),
      );
    }
    if (announce) this.host.events.emit({ type: 'peers', peers: this.peers() });
  }

  closeAll(announce: boolean): void {
    // Every session closes: nothing is released into links going down.
    this.firstSource.close();
    for (const peer of [...this.sessions.keys()]) this.close(peer, announce);
  }

  /** The connection changed: all links are down while it is not online. */
  connectionChanged(state: ConnectionState): void {
    if (state !== 'online') this.closeAll(true);
  }

  /** Put a replica message for one engine on the wire (counted in that engine's traffic). */
  send(peer: string, name: EngineName, payload: Uint8Array): void {
    const { host, outbox } = this;
    if (host.closed()) return;
    if (outbox !== undefined) {
      let byPeer = outbox.get(name);
      if (byPeer === undefined) {
        byPeer = new Map();
        outbox.set(name, byPeer);
      }
      const queued = byPeer.get(peer);
      if (queued === undefined) byPeer.set(peer, [payload]);
      else queued.push(payload);
      return;
    }
    this.transmit(name, payload, peer);
  }

  /** Put a payload on the wire to its peer (undefined: a broadcast), or let it wait (see `mustWait`). */
  private transmit(name: EngineName, payload: Uint8Array, peer: string | undefined): void {
    if (this.mustWait()) this.wait(name, payload, peer);
    else this.write(name, payload, peer);
  }

  /** Whether a payload sent now waits: a local record issued before it has not settled, or one waits. */
  private mustWait(): boolean {
    const { localWrites } = this.host;
    return this.waiting.length > 0 || localWrites.settled < localWrites.issued;
  }

  private wait(name: EngineName, payload: Uint8Array, peer: string | undefined): void {
    const after = this.host.localWrites.issued;
    const sessions = peer === undefined ? undefined : this.sessions.get(peer);
    this.waiting.push({ after, name, payload, peer, sessions });
  }

  /**
   * More local records settled: the payloads waiting for them go, in order (one whose peer's link went
   * down meanwhile is dropped, as a closed session sends nothing: the next link-up resyncs).
   */
  localWritesSettled(): void {
    const { host, waiting } = this;
    let sent = 0;
    while (sent < waiting.length && (waiting[sent] as WaitingPayload).after <= host.localWrites.settled) {
      const { name, payload, peer, sessions } = waiting[sent++] as WaitingPayload;
      if (host.closed()) continue;
      if (peer === undefined || this.sessions.get(peer) === sessions) this.write(name, payload, peer);
    }
    if (sent > 0) waiting.splice(0, sent);
  }

  /**
   * Run `fill` (which makes sessions and the gossip send), then put what it sent on the wire: per engine,
   * the payloads that every peer with an open session of it got alike, in the same order (the common
   * start of their lists: a digest, a hello, a live change), go once each as a broadcast; the rest goes
   * to each peer, in order, after them. Nested fan-outs are part of the outermost.
   */
  fanOut(fill: () => void): void {
    if (this.outbox !== undefined) {
      fill();
      return;
    }
    const outbox = new Map<EngineName, Map<string, Uint8Array[]>>();
    this.outbox = outbox;
    try {
      fill();
    } finally {
      this.outbox = undefined;
      for (const [name, byPeer] of outbox) this.flush(name, byPeer);
    }
  }

  /** One engine's part of a fan-out. */
  private flush(name: EngineName, byPeer: ReadonlyMap<string, readonly Uint8Array[]>): void {
    const shared = this.host.transport.broadcast === undefined ? 0 : this.sharedPrefix(name, byPeer);
    const first = byPeer.values().next().value ?? [];
    for (let i = 0; i < shared; i++) this.transmit(name, first[i] as Uint8Array, undefined);
    for (const [peer, payloads] of byPeer) {
      for (let i = shared; i < payloads.length; i++) this.send(peer, name, payloads[i] as Uint8Array);
    }
  }

  /**
   * How many payloads, from the start, every peer with an open session of the engine got alike (0 unless
   * `byPeer` holds two or more peers, and every such peer).
   */
  private sharedPrefix(name: EngineName, byPeer: ReadonlyMap<string, readonly Uint8Array[]>): number {
    if (byPeer.size < 2) return 0;
    let sessions = 0;
    for (const [peer, byEngine] of this.sessions) {
      if (byEngine.get(name)?.open !== true) continue;
      sessions++;
      if (!byPeer.has(peer)) return 0;
    }
    if (sessions !== byPeer.size) return 0;
    const lists = [...byPeer.values()];
    const first = lists[0] as readonly Uint8Array[];
    let shared = 0;
    while (shared < first.length && lists.every((list) => sameBytes(list[shared], first[shared]))) shared++;
    return shared;
  }

  /** Count a payload in the engine's traffic and send it on the engine's channel (no peer: broadcast). */
  private write(name: EngineName, payload: Uint8Array, peer: string | undefined): void {
    const { host } = this;
    const counters = this.traffic.get(name);
    if (counters !== undefined) {
      counters.framesSent++;
      counters.bytesSent += payload.length;
    }
    const channel = host.registry.get(name).wireCode;
    if (peer === undefined) host.transport.broadcast?.(channel, payload);
    else host.transport.send(peer, channel, payload);
    host.events.emit({ type: 'traffic', engine: name });
  }

  /** A payload from a peer on a channel: a digest announcement, or an engine's sync message. */
  receive(from: string, channel: number, payload: Uint8Array): void {
    const { host } = this;
    if (host.closed()) return;
    const name = host.registry.byWireCode(channel)?.name;
    const counters = name === undefined ? undefined : this.traffic.get(name);
    if (name === undefined || counters === undefined) {
      host.problems.report({
        kind: 'unknown-engine',
        peer: from,
        message: `payload on channel ${channel}, which stands for no engine this replica hosts`,
      });
      return;
    }
    counters.framesReceived++;
    counters.bytesReceived += payload.length;
    // A frame can beat its linkUp event through an asynchronous transport; the peer is reachable, so sync.
    if (!this.sessions.has(from) && from !== host.id && host.transport.reachable().has(from)) this.open(from);
    const refused = { kind: 'rejected-payload', engine: name, peer: from } as const;
    // Malformed: ignored, like a payload an engine refuses.
    const message = host.problems.guard(refused, `rejected a malformed ${payload.length}-byte payload`, () =>
      decodeReplicaMessage(payload),
    );
    if (message === undefined) counters.framesRejected++;
    else if (message.kind === 'sync') {
      if (!host.engines.isReady(name)) host.hold(name, from, message.payload);
      else if (!this.deliver(from, name, message.payload)) return;
    } else if (message.kind === 'digest') {
      host.gossip.heardFrom(from, name, message);
    } else {
      counters.framesRejected++;
      host.problems.report({ ...refused, message: 'presence belongs on the presence channel' });
    }
    host.events.emit({ type: 'traffic', engine: name });
  }

  /**
   * Peers' sync messages to engine `name` wait until `forwarded` settles (the forward of an edit the engine
   * took late, once its record is durable), then are delivered in order: a session answering a peer's hello
   * before that forward would send the edit, and the forward would send it to that peer again; after it,
   * the session knows it is on its way (answer-throttle.ts). A later call extends the wait.
   */
  deliverAfter(name: EngineName, forwarded: Promise<void>): void {
    const waiting = this.afterForward.get(name);
    if (waiting !== undefined) waiting.until = forwarded;
    else this.afterForward.set(name, { until: forwarded, messages: [] });
    const release = (): void => {
      const entry = this.afterForward.get(name);
      if (entry === undefined || entry.until !== forwarded) return;
      this.afterForward.delete(name);
      for (const { from, sync } of entry.messages) this.deliver(from, name, sync);
    };
    forwarded.then(release, release);
  }

  /**
   * A peer's sync message to its engine's session with that peer; false when there is none (the link is
   * down: the next linkUp resyncs). A refused message is counted and reported.
   */
  deliver(from: string, name: EngineName, sync: Uint8Array): boolean {
    const { host } = this;
    const waiting = this.afterForward.get(name);
    if (waiting !== undefined && !host.closed()) {
      waiting.messages.push({ from, sync });
      return true;
    }
    const open = this.sessions.get(from)?.get(name);
    if (open === undefined || host.closed()) return false;
    this.receiving = from;
    let accepted: boolean | undefined;
    try {
      accepted = host.problems.guard(
        { kind: 'engine-error', engine: name, peer: from },
        'receive() threw',
        () => open.session.receive(sync),
      );
    } finally {
      this.receiving = undefined;
    }
    if (from === host.firstSource) {
      this.firstSource.heard(name);
      this.firstSource.check(name);
    }
    if (accepted !== true) {
      const counters = this.traffic.get(name);
      if (counters !== undefined) counters.framesRejected++;
      host.problems.report({
        kind: 'rejected-payload',
        engine: name,
        peer: from,
        message: `rejected a ${sync.length}-byte payload`,
      });
    }
    return true;
  }

  /**
   * Hand a change to every open session of the engine; each ships what its peer lacks (one fan-out). A
   * peer's change is not passed on to a peer its source reaches (the transport says so, `linked`): the
   * source's own frame got there, and the copy made every window take each keystroke two or three times
   * (issue 19). A small change (a keystroke) is passed on to a peer the source does not reach, or when the
   * transport cannot tell, so a window cut from the typist still sees it live through another peer. A
   * large one is not passed on through a transport that broadcasts (a relay) at all: passing it on made
   * every link carry it once more from each node. A session that does not get the change is told it is
   * arriving (`SyncSession.arriving`); a peer cut from its source gets it in the answer to one of its
   * hellos, as anti-entropy repairs.
   */
  forward(name: EngineName, change: EngineChange): void {
    // No peer: no fan-out to build (a keystroke with nobody linked allocates nothing here).
    if (this.host.closed() || this.sessions.size === 0) return;
    const source = change.origin === 'remote' ? (change.from ?? this.receiving) : undefined;
    const large = source !== undefined && this.largeChange(change);
    this.fanOut(() => {
      for (const byEngine of this.sessions.values()) {
        const open = byEngine.get(name);
        if (open?.open !== true) continue;
        const { session } = open;
        this.host.problems.guard(
          { kind: 'engine-error', engine: name, peer: session.peer },
          'changed() failed',
          () => {
            if (!large && !this.reaches(source, session.peer)) session.changed(change);
            else if (session.peer !== source) session.arriving?.(change.update.length);
          },
        );
      }
    });
    // The change may be what the engine lacked of the first source: its hellos to the others go after it.
    this.firstSource.check(name);
  }

  /** Whether a peer's `change` is too large to pass on at all (see `forward`). */
  private largeChange(change: EngineChange): boolean {
    return change.update.length >= PASS_ON_BELOW_BYTES && this.host.transport.broadcast !== undefined;
  }

  /** Whether what `source` (a peer; undefined: this replica) sends reaches `peer`, another one, for sure. */
  private reaches(source: string | undefined, peer: string): boolean {
    if (source === undefined || source === peer) return false;
    return this.host.transport.linked?.(source, peer) === true;
  }

  /** Let every session re-advertise its version (repairs what chaos dropped), in one fan-out. */
  antiEntropy(): void {
    this.fanOut(() => {
      for (const byEngine of this.sessions.values()) {
        for (const [name, open] of byEngine) {
          // An engine behind holds edits not yet durable: its session says nothing until it caught up.
          if (!this.host.engines.isReady(name)) continue;
          this.host.problems.guard(
            { kind: 'engine-error', engine: name, peer: open.session.peer },
            'antiEntropy() failed',
            () => open.session.antiEntropy(),
          );
        }
      }
    });
  }

  /** The peer whose payload is being taken in, while a session takes it in (else undefined). */
  sender(): string | undefined {
    return this.receiving;
  }

  /** Peers with open sync sessions, sorted. */
  peers(): string[] {
    return [...this.sessions.keys()].sort();
  }

  linked(peer: string): boolean {
    return this.sessions.has(peer);
  }

  /** What each connected peer advertised of an engine in its handshake (undefined until it did). */
  peerVersions(name: EngineName): Record<string, EngineVersion | undefined> {
    const versions: Record<string, EngineVersion | undefined> = {};
    for (const [peer, byEngine] of this.sessions) versions[peer] = byEngine.get(name)?.session.peerVersion();
    return versions;
  }

  trafficOf(name: EngineName): TrafficCounters {
    const counters = this.traffic.get(name);
    if (counters === undefined)
      throw new ReplicaError(`engine ${name} is not hosted by replica ${this.host.id}`);
    return { ...counters };
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  if (a === b) return true;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
