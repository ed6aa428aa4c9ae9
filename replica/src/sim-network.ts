/**
 * An in-process network for tests and the scenario runner: nodes, directed links that can be cut,
 * partition presets, offline nodes, and seeded chaos (drop, duplicate, reorder, delay) on injected timers.
 * It hands out one `Transport` per node, so a Replica cannot tell it from the relay.
 *
 * Semantics, chosen to match a connection-oriented relay:
 * - A pair of nodes is reachable while both are started, both online, and the links both ways are up.
 *   linkUp / linkDown fire (synchronously, in a stable order) whenever that changes.
 * - Frames travel only between reachable nodes, and only within one link-up period: a frame still in
 *   flight when the pair becomes unreachable is lost, even if the pair reconnects before it would arrive
 *   (a new connection never carries bytes from an old one).
 * - Without chaos, frames on one directed link arrive in order after `latencyMs`.
 */

import { SeededRandom } from '@converge/crdt-core';
import type { Cancel, ConnectionState, Timers, Transport, TransportHandlers } from '@converge/protocol';

/** Fault rates (each 0..1) and extra delay; the same shape as a scenario's chaos step. */
export interface ChaosSettings {
  /** Probability that a frame is lost. */
  readonly drop?: number;
  /** Probability that a frame is delivered twice. */
  readonly duplicate?: number;
  /** Probability that a frame skips the link's FIFO order and may be overtaken by later frames. */
  readonly reorder?: number;
  /** Each frame gets a uniformly random extra delay in [0, delayMs]. */
  readonly delayMs?: number;
}

/**
 * A slow consumer, as the relay sees one: frames to a node go down its link one after another at
 * `bytesPerMs`, and while more than `maxQueuedBytes` wait for it, frames to it are dropped (the relay's
 * backpressure rule: it drops frames to a connection whose buffer is over its limit).
 */
export interface Backpressure {
  readonly bytesPerMs: number;
  readonly maxQueuedBytes: number;
  /**
   * Like the relay's slow-consumer rule: a node whose queue stayed over the limit this long (counted from
   * the first frame dropped for it) is disconnected, losing what was in flight to it, and reconnects
   * `reconnectMs` later (default: never disconnected).
   */
  readonly slowConsumerMs?: number;
  readonly reconnectMs?: number;
}

export interface SimNetworkOptions {
  readonly timers: Timers;
  /** Seed of the chaos generator: the same seed and the same traffic give the same faults. */
  readonly seed: number;
  /** Base one-way latency of every frame (default 1 ms). */
  readonly latencyMs?: number;
  readonly chaos?: ChaosSettings;
  /** Every node's downlink as a slow consumer (default: none, frames only take `latencyMs`). */
  readonly backpressure?: Backpressure;
}

export interface SimNetworkStats {
  readonly sent: number;
  readonly delivered: number;
  /** Lost to chaos. */
  readonly dropped: number;
  /** Extra copies made by chaos. */
  readonly duplicated: number;
  /** Sent into a down link, or in flight when the link went down. */
  readonly lost: number;
  /** Dropped because too many bytes were queued for the receiver (see Backpressure). */
  readonly backpressure: number;
  /** Receivers disconnected as slow consumers. */
  readonly slowConsumers: number;
}

/** A directed link from → to. */
export interface SimLink {
  readonly from: string;
  readonly to: string;
}

interface Flight {
  readonly from: string;
  readonly to: string;
  readonly channel: number;
  readonly payload: Uint8Array;
  readonly epoch: number;
  /** Earliest delivery time the receiver's downlink allows (backpressure), else 0. */
  readonly notBefore: number;
}

export class SimNetworkError extends Error {
  override readonly name = 'SimNetworkError';
}

export class SimNetwork {
  private readonly timers: Timers;
  private readonly random: SeededRandom;
  private readonly latencyMs: number;
  private chaos: Required<ChaosSettings>;
  /** Started, not yet closed transports by node id. */
  private readonly nodes = new Map<string, SimTransport>();
  private readonly offline = new Set<string>();
  /** Cut directed links, keyed "from\u0000to". */
  private readonly cuts = new Set<string>();
  /** Unordered pairs currently reachable, keyed by pairKey. */
  private readonly reachablePairs = new Set<string>();
  /** Per unordered pair: bumped every time the pair goes down, so older frames are discarded. */
  private readonly epochs = new Map<string, number>();
  /** Per directed link: the latest scheduled in-order delivery time (FIFO floor). */
  private readonly fifoFloor = new Map<string, number>();
  private readonly flights = new Map<Flight, Cancel>();
  private counters = {
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    lost: 0,
    backpressure: 0,
    slowConsumers: 0,
  };
  private backpressure: Backpressure | undefined;
  /** Per receiver: bytes scheduled to it and not delivered yet, and when its downlink is free. */
  private readonly downlinks = new Map<string, { queued: number; freeAt: number; overSince?: number }>();
  /** Link events raised while handlers run are queued so every handler sees events in order. */
  private readonly eventQueue: (() => void)[] = [];
  private dispatching = false;

  constructor(options: SimNetworkOptions) {
    this.timers = options.timers;
    this.random = new SeededRandom(options.seed);
    this.latencyMs = options.latencyMs ?? 1;
    if (!(this.latencyMs >= 0)) throw new SimNetworkError(`latency must be ≥ 0, got ${this.latencyMs}`);
    this.chaos = normalizeChaos(options.chaos);
    this.setBackpressure(options.backpressure);
  }

  /** Make every downlink a slow consumer (or stop: undefined). */
  setBackpressure(backpressure: Backpressure | undefined): void {
    if (backpressure !== undefined && !(backpressure.bytesPerMs > 0 && backpressure.maxQueuedBytes >= 0))
      throw new SimNetworkError('backpressure needs bytesPerMs > 0 and maxQueuedBytes ≥ 0');
    this.backpressure = backpressure;
  }

  /** A transport for `nodeId`; the node joins when the transport is started. One live transport per node. */
  transport(nodeId: string): SimTransport {
    if (typeof nodeId !== 'string' || nodeId.length === 0)
      throw new SimNetworkError('node id must be a non-empty string');
    if (this.nodes.has(nodeId)) throw new SimNetworkError(`node ${nodeId} already has a live transport`);
    return new SimTransport(this, nodeId);
  }

  /** Ids of the started nodes, sorted. */
  nodeIds(): string[] {
    return [...this.nodes.keys()].sort();
  }

  // ---- topology -------------------------------------------------------------------------------------

  /** Cut the directed link from → to (frames from `from` no longer reach `to`). */
  cut(from: string, to: string): void {
    this.cuts.add(linkKey(from, to));
    this.update();
  }

  /** Restore the directed link from → to. */
  restore(from: string, to: string): void {
    this.cuts.delete(linkKey(from, to));
    this.update();
  }

  /** Whether the directed link from → to is up (ignores offline state). */
  linkUp(from: string, to: string): boolean {
    return !this.cuts.has(linkKey(from, to));
  }

  /** Every cut directed link. */
  cutLinks(): SimLink[] {
    return [...this.cuts].map((key) => {
      const [from = '', to = ''] = key.split('\u0000');
      return { from, to };
    });
  }

  /**
   * Replace the link table with groups that can talk only among themselves. Known nodes missing from every
   * group end up alone. Nodes that join later are unrestricted unless named here.
   */
  partition(groups: readonly (readonly string[])[]): void {
    const groupOf = new Map<string, number>();
    groups.forEach((group, index) => {
      for (const node of group) {
        if (groupOf.has(node)) throw new SimNetworkError(`node ${node} is in two partition groups`);
        groupOf.set(node, index);
      }
    });
    const all = new Set([...this.nodes.keys(), ...groupOf.keys()]);
    let loner = groups.length;
    for (const node of [...all].sort()) if (!groupOf.has(node)) groupOf.set(node, loner++);
    this.cuts.clear();
    for (const a of all) {
      for (const b of all) if (a !== b && groupOf.get(a) !== groupOf.get(b)) this.cuts.add(linkKey(a, b));
    }
    this.update();
  }

  /** Cut every link to and from `node`, leaving the others as they are. */
  isolate(node: string): void {
    for (const other of this.nodes.keys()) {
      if (other === node) continue;
      this.cuts.add(linkKey(node, other));
      this.cuts.add(linkKey(other, node));
    }
    this.update();
  }

  /**
   * Two halves that reach each other only through `bridge`: left ∪ {bridge} and right ∪ {bridge} are
   * fully connected, left and right are not.
   */
  bridge(left: readonly string[], bridge: string, right: readonly string[]): void {
    if (left.includes(bridge) || right.includes(bridge)) {
      throw new SimNetworkError(`bridge node ${bridge} must not be in either half`);
    }
    this.cuts.clear();
    for (const a of left) {
      for (const b of right) {
        this.cuts.add(linkKey(a, b));
        this.cuts.add(linkKey(b, a));
      }
    }
    this.update();
  }

  /** Restore every link (offline nodes stay offline). */
  heal(): void {
    this.cuts.clear();
    this.update();
  }

  /** Take a node offline (its connection closed: all its links down) or back online. */
  setOffline(node: string, offline: boolean): void {
    if (offline === this.offline.has(node)) return;
    if (offline) this.offline.add(node);
    else this.offline.delete(node);
    const transport = this.nodes.get(node);
    if (transport !== undefined) {
      const state: ConnectionState = offline ? 'offline' : 'online';
      this.enqueue(() => transport.handlers?.state?.(state));
    }
    this.update();
  }

  isOffline(node: string): boolean {
    return this.offline.has(node);
  }

  /** Whether frames can flow between a and b in both directions right now. */
  reachable(a: string, b: string): boolean {
    return this.reachablePairs.has(pairKey(a, b));
  }

  // ---- chaos ----------------------------------------------------------------------------------------

  /** Replace the chaos settings (undefined: none). Frames already in flight keep their fate. */
  setChaos(chaos: ChaosSettings | undefined): void {
    this.chaos = normalizeChaos(chaos);
  }

  chaosSettings(): Required<ChaosSettings> {
    return { ...this.chaos };
  }

  /** Frames scheduled for delivery and not yet delivered or discarded. */
  inFlight(): number {
    return this.flights.size;
  }

  stats(): SimNetworkStats {
    return { ...this.counters };
  }

  // ---- used by SimTransport -------------------------------------------------------------------------

  /** @internal */
  join(transport: SimTransport): void {
    if (this.nodes.has(transport.nodeId)) {
      throw new SimNetworkError(`node ${transport.nodeId} already has a live transport`);
    }
    this.nodes.set(transport.nodeId, transport);
    this.update();
  }

  /** @internal */
  leave(transport: SimTransport): void {
    if (this.nodes.get(transport.nodeId) !== transport) return;
    this.nodes.delete(transport.nodeId);
    this.update();
  }

  /** @internal */
  peersOf(node: string): Set<string> {
    const peers = new Set<string>();
    for (const other of this.nodes.keys())
      if (other !== node && this.reachable(node, other)) peers.add(other);
    return peers;
  }

  /** @internal */
  send(from: string, to: string, channel: number, payload: Uint8Array): void {
    this.counters.sent++;
    const pair = pairKey(from, to);
    if (!this.reachablePairs.has(pair)) {
      this.counters.lost++;
      return;
    }
    if (this.chaos.drop > 0 && this.random.chance(this.chaos.drop)) {
      this.counters.dropped++;
      return;
    }
    const notBefore = this.downlinkSlot(to, payload.length);
    if (notBefore === undefined) {
      this.counters.backpressure++;
      this.checkSlowConsumer(to);
      return;
    }
    // Copy once: the sender may reuse its buffer, and receivers must not see each other's mutations.
    const flight: Flight = {
      from,
      to,
      channel,
      payload: payload.slice(),
      epoch: this.epochs.get(pair) ?? 0,
      notBefore,
    };
    this.schedule(flight);
    if (this.chaos.duplicate > 0 && this.random.chance(this.chaos.duplicate)) {
      this.counters.duplicated++;
      this.downlinkSlot(to, payload.length, true);
      this.schedule({ ...flight });
    }
  }

  /**
   * @internal One frame to every node reachable from `from`, as the relay fans out a broadcast: each copy
   * takes its own link (cuts, chaos and backpressure apply to each).
   */
  broadcast(from: string, channel: number, payload: Uint8Array): void {
    for (const to of [...this.nodes.keys()].sort()) {
      if (to !== from && this.reachable(from, to)) this.send(from, to, channel, payload);
    }
  }

  /**
   * When a frame of `bytes` to `to` can arrive through its downlink (0 without backpressure), or undefined
   * when the downlink's queue is over its limit and the frame is dropped (unless `force`: a duplicate).
   */
  private downlinkSlot(to: string, bytes: number, force = false): number | undefined {
    const limit = this.backpressure;
    if (limit === undefined) return 0;
    const now = this.timers.now();
    const link = this.downlinks.get(to) ?? { queued: 0, freeAt: now };
    if (!force && link.queued > limit.maxQueuedBytes) {
      link.overSince ??= now;
      this.downlinks.set(to, link);
      return undefined;
    }
    link.overSince = undefined;
    link.freeAt = Math.max(link.freeAt, now + this.latencyMs) + bytes / limit.bytesPerMs;
    link.queued += bytes;
    this.downlinks.set(to, link);
    return link.freeAt;
  }

  /** Disconnect a receiver that stayed over its queue limit for `slowConsumerMs`; it reconnects later. */
  private checkSlowConsumer(node: string): void {
    const limit = this.backpressure;
    const link = this.downlinks.get(node);
    if (limit?.slowConsumerMs === undefined || link?.overSince === undefined) return;
    if (this.timers.now() - link.overSince < limit.slowConsumerMs || this.offline.has(node)) return;
    this.counters.slowConsumers++;
    link.overSince = undefined;
    this.setOffline(node, true);
    link.freeAt = this.timers.now();
    this.timers.setTimeout(() => this.setOffline(node, false), limit.reconnectMs ?? 1000);
  }

  private schedule(flight: Flight): void {
    const jitter = this.chaos.delayMs > 0 ? this.random.int(0, this.chaos.delayMs) : 0;
    let at = Math.max(this.timers.now() + this.latencyMs, flight.notBefore) + jitter;
    const link = linkKey(flight.from, flight.to);
    if (this.chaos.reorder > 0 && this.random.chance(this.chaos.reorder)) {
      // Out of band: held back a little and exempt from FIFO, so later frames can overtake it.
      at += this.random.int(1, Math.max(10, this.chaos.delayMs));
    } else {
      at = Math.max(at, this.fifoFloor.get(link) ?? 0);
      this.fifoFloor.set(link, at);
    }
    const cancel = this.timers.setTimeout(() => this.deliver(flight), at - this.timers.now());
    this.flights.set(flight, cancel);
  }

  private deliver(flight: Flight): void {
    this.flights.delete(flight);
    const downlink = this.downlinks.get(flight.to);
    if (downlink !== undefined) downlink.queued -= flight.payload.length;
    const pair = pairKey(flight.from, flight.to);
    const target = this.nodes.get(flight.to);
    if (
      !this.reachablePairs.has(pair) ||
      (this.epochs.get(pair) ?? 0) !== flight.epoch ||
      target === undefined
    ) {
      this.counters.lost++;
      return;
    }
    this.counters.delivered++;
    target.handlers?.message(flight.from, flight.channel, flight.payload.slice());
  }

  /** Recompute reachability after any topology change and raise the resulting link events. */
  private update(): void {
    const ids = [...this.nodes.keys()].sort();
    for (let i = 0; i < ids.length; i++) {
      for (let j = i + 1; j < ids.length; j++) {
        const a = ids[i] as string;
        const b = ids[j] as string;
        const key = pairKey(a, b);
        const now =
          !this.offline.has(a) &&
          !this.offline.has(b) &&
          !this.cuts.has(linkKey(a, b)) &&
          !this.cuts.has(linkKey(b, a));
        if (now !== this.reachablePairs.has(key)) this.setPair(key, a, b, now);
      }
    }
    // Pairs with a node that left.
    for (const key of [...this.reachablePairs]) {
      const [a = '', b = ''] = key.split('\u0000');
      if (!this.nodes.has(a) || !this.nodes.has(b)) this.setPair(key, a, b, false);
    }
    this.flush();
  }

  private setPair(key: string, a: string, b: string, up: boolean): void {
    if (up) {
      this.reachablePairs.add(key);
    } else {
      this.reachablePairs.delete(key);
      this.epochs.set(key, (this.epochs.get(key) ?? 0) + 1);
      this.fifoFloor.delete(linkKey(a, b));
      this.fifoFloor.delete(linkKey(b, a));
      for (const [flight, cancel] of this.flights) {
        if (pairKey(flight.from, flight.to) !== key) continue;
        cancel();
        this.flights.delete(flight);
        const downlink = this.downlinks.get(flight.to);
        if (downlink !== undefined) downlink.queued -= flight.payload.length;
        this.counters.lost++;
      }
    }
    // Both still here and online: the link between them was cut; otherwise one of them left.
    const reason =
      this.nodes.has(a) && this.nodes.has(b) && !this.isOffline(a) && !this.isOffline(b) ? 'cut' : 'left';
    for (const [self, peer] of [
      [a, b],
      [b, a],
    ] as const) {
      const transport = this.nodes.get(self);
      if (transport === undefined) continue;
      this.enqueue(() => {
        if (up) transport.handlers?.linkUp(peer);
        else transport.handlers?.linkDown(peer, reason);
      });
    }
  }

  private enqueue(event: () => void): void {
    this.eventQueue.push(event);
  }

  private flush(): void {
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let event = this.eventQueue.shift(); event !== undefined; event = this.eventQueue.shift()) event();
    } finally {
      this.dispatching = false;
    }
  }
}

/** One node's view of the simulated network. */
export class SimTransport implements Transport {
  /** @internal set while started */
  handlers: TransportHandlers | undefined;
  private phase: 'new' | 'started' | 'closed' = 'new';

  constructor(
    private readonly network: SimNetwork,
    readonly nodeId: string,
  ) {}

  start(handlers: TransportHandlers): void {
    if (this.phase !== 'new') throw new SimNetworkError(`transport of ${this.nodeId} was already started`);
    this.phase = 'started';
    this.handlers = handlers;
    this.network.join(this);
  }

  send(to: string, channel: number, payload: Uint8Array): void {
    if (this.phase !== 'started') return;
    this.network.send(this.nodeId, to, channel, payload);
  }

  broadcast(channel: number, payload: Uint8Array): void {
    if (this.phase !== 'started') return;
    this.network.broadcast(this.nodeId, channel, payload);
  }

  reachable(): ReadonlySet<string> {
    return this.phase === 'started' ? this.network.peersOf(this.nodeId) : new Set();
  }

  /** As the relay's cuts frames tell a node: the network's own link state, known from the start. */
  linked(from: string, to: string): boolean {
    return this.network.reachable(from, to);
  }

  state(): ConnectionState {
    if (this.phase === 'new') return 'connecting';
    return this.phase === 'started' && !this.network.isOffline(this.nodeId) ? 'online' : 'offline';
  }

  /** The node's own offline switch (its connection closed; edits keep working locally). */
  setOffline(offline: boolean): void {
    this.network.setOffline(this.nodeId, offline);
  }

  close(): void {
    if (this.phase !== 'started') {
      this.phase = 'closed';
      return;
    }
    this.phase = 'closed';
    this.network.leave(this);
    this.handlers = undefined;
  }
}

function normalizeChaos(chaos: ChaosSettings | undefined): Required<ChaosSettings> {
  const rate = (name: string, value: number | undefined): number => {
    const v = value ?? 0;
    if (!(v >= 0 && v <= 1)) throw new SimNetworkError(`chaos ${name} must be within [0, 1], got ${v}`);
    return v;
  };
  const delayMs = chaos?.delayMs ?? 0;
  if (!(Number.isSafeInteger(delayMs) && delayMs >= 0)) {
    throw new SimNetworkError(`chaos delayMs must be a non-negative integer, got ${delayMs}`);
  }
  return {
    drop: rate('drop', chaos?.drop),
    duplicate: rate('duplicate', chaos?.duplicate),
    reorder: rate('reorder', chaos?.reorder),
    delayMs,
  };
}

function linkKey(from: string, to: string): string {
  return `${from}\u0000${to}`;
}

function pairKey(a: string, b: string): string {
  return a < b ? `${a}\u0000${b}` : `${b}\u0000${a}`;
}
