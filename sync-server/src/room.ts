/**
 * A room: the nodes that joined it, its link table and chaos, and the routing of data frames between
 * its nodes. The room reaches each node through a `NodeEndpoint` and does not care what carries it
 * (a WebSocket connection, or a node living in the relay's process such as a storage peer).
 */
import {
  type BundleEntry,
  type BundleFrame,
  CloseCode,
  type DataFrame,
  dataEntries,
  encodeBundle,
  encodeFrame,
  type NodeRole,
  type PeerInfo,
  type Right,
  type Timers,
} from '@converge/protocol';
import { type ChaosConfig, DelayQueue, isNoChaos, LinkChaos, linkSeed } from './chaos.ts';
import type { EventBus, LeaveReason, Violation } from './events.ts';
import type { RelayLimits } from './limits.ts';
import { type DirectedLink, type LinkOperation, LinkTable } from './link-table.ts';
import type { Logger } from './log.ts';
import { type Parcel, parcelOf } from './parcel.ts';
import {
  addDropped,
  countDelivery,
  type DepartedTrafficReport,
  emptyDropped,
  emptyLinkTraffic,
  type LinkTraffic,
  type LinkTrafficReport,
  reportLinkTraffic,
} from './traffic.ts';

/** How the room reaches one node. */
export interface NodeEndpoint {
  /** Where the node is, for logs and the admin API (an address, or "in-process"). */
  readonly remote: string;
  /** Queue one encoded relay→node frame. Must not throw. */
  send(frame: Uint8Array): void;
  /** Bytes queued towards the node and not yet taken by it. */
  bufferedBytes(): number;
  /** Disconnect the node. The room has already removed it; the endpoint must not call `leave`. */
  close(code: number, reason: string): void;
}

export class Member {
  /** Since when frames to this node have been dropped for backpressure (undefined: not over). */
  overHighWaterSince: number | undefined;
  /** Counters of the links from this node, by target id (a cache of the room's table for the hot path). */
  readonly trafficTo = new Map<string, LinkTraffic>();

  constructor(
    readonly id: string,
    readonly role: NodeRole,
    readonly endpoint: NodeEndpoint,
    readonly joinedAt: number,
    readonly grant: Grant,
  ) {}
}

/** What a node proved when it joined. */
export interface Grant {
  /** The credential's id; only the same credential may replace the node's connection. */
  readonly credentialId: string;
  readonly rights: readonly Right[];
}

export interface RoomServices {
  readonly clock: Timers;
  readonly limits: RelayLimits;
  readonly events: EventBus;
  readonly log: Logger;
  /** Count a violation (and report it on the event stream). */
  violation(
    violation: Violation,
    detail: { remote: string; room?: string; node?: string; detail: string },
  ): void;
}

export type JoinResult =
  | { readonly ok: true; readonly member: Member }
  | { readonly ok: false; readonly refusal: 'node-limit' | 'identity-in-use'; readonly reason: string };

export interface NodeInfo {
  readonly id: string;
  readonly role: NodeRole;
  readonly remote: string;
  readonly joinedAt: number;
  readonly rights: readonly Right[];
  /** Peers reachable from this node (both directions up). */
  readonly reachable: readonly string[];
  readonly bufferedBytes: number;
}

export interface RoomInfo {
  readonly id: string;
  /** In a cluster, the node that owns the room (and answered for it). */
  readonly owner?: string;
  readonly nodes: readonly NodeInfo[];
  readonly cut: readonly DirectedLink[];
  readonly chaos: RoomChaosInfo;
  readonly delayedFrames: number;
  readonly delayedBytes: number;
  /** Frames addressed to a node that is not in the room. */
  readonly unknownRecipient: number;
}

export interface RoomChaosInfo {
  readonly room: ChaosConfig | null;
  readonly links: readonly { readonly from: string; readonly to: string; readonly config: ChaosConfig }[];
}

export interface LinkChange {
  readonly cut: readonly DirectedLink[];
  readonly healed: readonly DirectedLink[];
}

/** A frame on its way through chaos, with what it takes to check it is still deliverable. */
interface HeldFrame {
  readonly sender: Member;
  readonly target: Member;
  readonly parcel: Parcel;
  readonly generation: number;
  readonly traffic: LinkTraffic;
}

const linkKey = (from: string, to: string): string => `${from} ${to}`;

export class Room {
  private readonly members = new Map<string, Member>();
  private readonly links = new LinkTable();
  private roomChaos: ChaosConfig | undefined;
  private readonly linkChaosConfig = new Map<string, ChaosConfig>();
  private readonly linkChaos = new Map<string, LinkChaos<HeldFrame> | null>();
  private readonly queue: DelayQueue;
  private delayedBytes = 0;
  private readonly traffic = new Map<string, LinkTraffic>();
  private readonly dirtyTraffic = new Set<string>();
  private unknownRecipient = 0;
  /** Drops on links forgotten with a departed node, so room totals keep them (`forgetLinksOf`). */
  private readonly departed = { links: 0, dropped: emptyDropped() };

  constructor(
    readonly id: string,
    private readonly services: RoomServices,
  ) {
    this.queue = new DelayQueue(services.clock);
  }

  get size(): number {
    return this.members.size;
  }

  /** An empty room with nothing configured can be forgotten. */
  isDisposable(): boolean {
    return (
      this.members.size === 0 &&
      this.links.isDefault() &&
      this.roomChaos === undefined &&
      this.linkChaosConfig.size === 0
    );
  }

  /** Whether a node other than the room's storage peer is here (a window's replica or a tool). */
  hasWindows(): boolean {
    for (const member of this.members.values()) if (member.role !== 'storage') return true;
    return false;
  }

  member(id: string): Member | undefined {
    return this.members.get(id);
  }

  nodeIds(): string[] {
    return [...this.members.keys()];
  }

  /**
   * Add a node that proved `grant`. A node id already present under the same credential is
   * taken over by the newcomer (a reconnect that arrives before the old connection is known to be
   * dead): the old connection is removed, told and closed before the newcomer is added, so the room
   * never holds two writers under one id. Under another credential the id is refused: nobody can
   * claim a live node's identity.
   */
  join(id: string, role: NodeRole, endpoint: NodeEndpoint, grant: Grant): JoinResult {
    const existing = this.members.get(id);
    if (existing === undefined && this.members.size >= this.services.limits.maxNodesPerRoom) {
      return {
        ok: false,
        refusal: 'node-limit',
        reason: `room ${this.id} already has ${this.members.size} nodes`,
      };
    }
    if (existing !== undefined && existing.grant.credentialId !== grant.credentialId) {
      return {
        ok: false,
        refusal: 'identity-in-use',
        reason: `node ${id} is connected to room ${this.id} under another credential`,
      };
    }
    if (existing !== undefined) {
      existing.endpoint.send(
        encodeFrame({ type: 'error', code: 'replaced', message: `node ${id} connected again elsewhere` }),
      );
      this.leave(existing, 'replaced');
      existing.endpoint.close(CloseCode.Replaced, 'replaced by a newer connection');
    }
    const member = new Member(id, role, endpoint, this.services.clock.now(), grant);
    const peers: PeerInfo[] = [];
    for (const peer of this.members.values()) {
      peers.push({ id: peer.id, role: peer.role, reachable: this.links.reachable(id, peer.id) });
    }
    this.members.set(id, member);
    endpoint.send(
      encodeFrame({
        type: 'welcome',
        room: this.id,
        nodeId: id,
        peers,
        maxFrameBytes: this.services.limits.maxFrameBytes,
        rights: grant.rights,
      }),
    );
    endpoint.send(this.cutsFrame());
    const linkUp = encodeFrame({ type: 'link-up', peer: id, role, reason: 'joined' });
    for (const peer of peers) {
      if (peer.reachable) this.members.get(peer.id)?.endpoint.send(linkUp);
    }
    this.services.events.emit({ type: 'join', room: this.id, node: id, role, remote: endpoint.remote });
    this.services.log.info('join', { room: this.id, node: id, role, remote: endpoint.remote });
    return { ok: true, member };
  }

  /** Remove a node (idempotent: a member that was already replaced or removed is ignored). */
  leave(member: Member, reason: LeaveReason): void {
    if (this.members.get(member.id) !== member) return;
    this.members.delete(member.id);
    const linkDown = encodeFrame({ type: 'link-down', peer: member.id, reason: 'left' });
    for (const peer of this.members.values()) {
      if (this.links.reachable(member.id, peer.id)) peer.endpoint.send(linkDown);
    }
    this.forgetLinksOf(member);
    this.services.events.emit({ type: 'leave', room: this.id, node: member.id, reason });
    this.services.log.info('leave', { room: this.id, node: member.id, reason });
  }

  /**
   * Route a data or bundle frame from `sender` (which must hold write rights); `bytes` is the frame as
   * received. Each node gets, as one frame, the entries meant for it (all of them: the bytes unchanged).
   * Cuts, chaos and backpressure take or drop that frame whole, so a node never gets part of what was
   * sent together; the counters count entries, each on its channel.
   */
  route(sender: Member, frame: DataFrame | BundleFrame, bytes: Uint8Array): void {
    if (this.members.get(sender.id) !== sender) return;
    if (frame.type === 'data' && frame.to !== null) {
      const target = this.recipient(sender, frame.to);
      if (target !== undefined) this.forward(sender, target, parcelOf([frame], bytes));
      return;
    }
    const entries = dataEntries(frame);
    const named = new Set<string>();
    for (const entry of entries) {
      if (entry.to !== null && this.recipient(sender, entry.to) !== undefined) named.add(entry.to);
    }
    const parcelFor = (mine: readonly BundleEntry[]): Parcel | undefined => {
      if (mine.length === 0) return undefined;
      return parcelOf(mine, mine.length === entries.length ? bytes : encodeBundle(frame.from, mine));
    };
    // The nodes no entry names all get the broadcast entries: one parcel, encoded once, for all of them.
    let common: Parcel | undefined | null = null;
    for (const target of this.members.values()) {
      if (target === sender) continue;
      let parcel: Parcel | undefined;
      if (named.has(target.id)) {
        parcel = parcelFor(entries.filter((entry) => entry.to === null || entry.to === target.id));
      } else {
        if (common === null) common = parcelFor(entries.filter((entry) => entry.to === null));
        parcel = common;
      }
      if (parcel !== undefined) this.forward(sender, target, parcel);
    }
  }

  /** The member a frame names, counting a name that is not one (normal in a race with a leave). */
  private recipient(sender: Member, to: string): Member | undefined {
    const target = this.members.get(to);
    if (target === undefined || target === sender) {
      // The sender's session learns of it from link-down.
      this.unknownRecipient++;
      return undefined;
    }
    return target;
  }

  applyLinks(operation: LinkOperation): LinkChange {
    const present = this.nodeIds();
    const before = new Set(this.links.cutLinks().map((l) => linkKey(l.from, l.to)));
    const reachableBefore = this.reachablePairs(present);
    this.links.apply(operation, present);
    const afterLinks = this.links.cutLinks();
    const after = new Set(afterLinks.map((l) => linkKey(l.from, l.to)));
    const cut = afterLinks.filter((l) => !before.has(linkKey(l.from, l.to)));
    const healed = [...before]
      .filter((k) => !after.has(k))
      .map((k) => {
        const [from = '', to = ''] = k.split(' ');
        return { from, to };
      });
    if (cut.length > 0 || healed.length > 0) {
      // Before the link changes: a node told a peer is back knows whom that peer reaches.
      const cuts = this.cutsFrame();
      for (const member of this.members.values()) member.endpoint.send(cuts);
    }
    for (const l of cut) this.services.events.emit({ type: 'cut', room: this.id, ...l });
    for (const l of healed) this.services.events.emit({ type: 'heal', room: this.id, ...l });
    const reachableAfter = this.reachablePairs(present);
    for (const pair of new Set([...reachableBefore, ...reachableAfter])) {
      const was = reachableBefore.has(pair);
      const is = reachableAfter.has(pair);
      if (was === is) continue;
      const [a = '', b = ''] = pair.split(' ');
      const ma = this.members.get(a);
      const mb = this.members.get(b);
      if (ma === undefined || mb === undefined) continue;
      if (is) {
        ma.endpoint.send(encodeFrame({ type: 'link-up', peer: b, role: mb.role, reason: 'healed' }));
        mb.endpoint.send(encodeFrame({ type: 'link-up', peer: a, role: ma.role, reason: 'healed' }));
      } else {
        ma.endpoint.send(encodeFrame({ type: 'link-down', peer: b, reason: 'cut' }));
        mb.endpoint.send(encodeFrame({ type: 'link-down', peer: a, reason: 'cut' }));
      }
    }
    if (cut.length > 0 || healed.length > 0) {
      this.services.log.info('links', { room: this.id, operation, cut: cut.length, healed: healed.length });
    }
    return { cut, healed };
  }

  /** The room's cut links as a cuts frame (a node learns from it which of its peers reach each other). */
  private cutsFrame(): Uint8Array {
    return encodeFrame({ type: 'cuts', links: this.links.cutLinks() });
  }

  /** Set (or with null, clear) the chaos of the whole room, or of one directed link. */
  setChaos(link: DirectedLink | null, config: ChaosConfig | null): void {
    if (link === null) {
      this.roomChaos = config ?? undefined;
      // Links with their own config keep it; the others re-derive from the new room config.
      for (const [key, chaos] of this.linkChaos) {
        if (this.linkChaosConfig.has(key)) continue;
        chaos?.flush();
        this.linkChaos.delete(key);
      }
    } else {
      const key = linkKey(link.from, link.to);
      if (config === null) this.linkChaosConfig.delete(key);
      else this.linkChaosConfig.set(key, config);
      this.linkChaos.get(key)?.flush();
      this.linkChaos.delete(key);
    }
    this.services.events.emit({ type: 'chaos', room: this.id, link, config });
    this.services.log.info('chaos', { room: this.id, link, config });
  }

  chaosInfo(): RoomChaosInfo {
    return {
      room: this.roomChaos ?? null,
      links: [...this.linkChaosConfig].sort().map(([key, config]) => {
        const [from = '', to = ''] = key.split(' ');
        return { from, to, config };
      }),
    };
  }

  info(): RoomInfo {
    const nodes = [...this.members.values()].map((m) => ({
      id: m.id,
      role: m.role,
      remote: m.endpoint.remote,
      joinedAt: m.joinedAt,
      rights: m.grant.rights,
      reachable: [...this.members.keys()].filter((p) => p !== m.id && this.links.reachable(m.id, p)),
      bufferedBytes: m.endpoint.bufferedBytes(),
    }));
    return {
      id: this.id,
      nodes,
      cut: this.links.cutLinks(),
      chaos: this.chaosInfo(),
      delayedFrames: this.queue.size,
      delayedBytes: this.delayedBytes,
      unknownRecipient: this.unknownRecipient,
    };
  }

  /** Cumulative traffic of every link that ever carried a frame. */
  trafficReport(): LinkTrafficReport[] {
    return [...this.traffic].sort().map(([key, t]) => {
      const [from = '', to = ''] = key.split(' ');
      return reportLinkTraffic(from, to, t);
    });
  }

  /** What was dropped on the links of nodes that left (cumulative; their own counters are gone). */
  departedTrafficReport(): DepartedTrafficReport {
    return { links: this.departed.links, dropped: { ...this.departed.dropped } };
  }

  /** Traffic of the links that changed since the last call (for the periodic traffic event). */
  takeTrafficChanges(): LinkTrafficReport[] {
    const out: LinkTrafficReport[] = [];
    for (const key of [...this.dirtyTraffic].sort()) {
      const t = this.traffic.get(key);
      const [from = '', to = ''] = key.split(' ');
      if (t !== undefined) out.push(reportLinkTraffic(from, to, t));
    }
    this.dirtyTraffic.clear();
    return out;
  }

  /** Close nodes that have stayed past the high-water mark too long even without new traffic. */
  sweepSlowConsumers(): void {
    for (const member of [...this.members.values()]) {
      if (member.overHighWaterSince === undefined) continue;
      if (member.endpoint.bufferedBytes() <= this.services.limits.maxBufferedBytes) {
        member.overHighWaterSince = undefined;
      } else {
        this.checkSlowConsumer(member);
      }
    }
  }

  /** Drop frames still held by chaos (the room is being forgotten; they could only be stale). */
  dispose(): void {
    this.queue.clear();
    this.delayedBytes = 0;
  }

  /** Disconnect everyone (relay shutdown). */
  closeAll(code: number, reason: string): void {
    this.queue.clear();
    for (const member of [...this.members.values()]) {
      member.endpoint.send(encodeFrame({ type: 'error', code: 'shutting-down', message: reason }));
      this.leave(member, 'shutdown');
      member.endpoint.close(code, reason);
    }
  }

  /**
   * Drop the counters and chaos state of a departed node's links, so a room whose nodes come and go
   * under ever new ids does not grow without bound. (The event stream has already reported them.) Their
   * drops are added to the room's departed totals, which room-level counts of drops must include.
   */
  private forgetLinksOf(member: Member): void {
    for (const peer of this.members.values()) peer.trafficTo.delete(member.id);
    const prefix = `${member.id} `;
    const suffix = ` ${member.id}`;
    const final: LinkTrafficReport[] = [];
    for (const [key, traffic] of [...this.traffic]) {
      if (!key.startsWith(prefix) && !key.endsWith(suffix)) continue;
      if (this.dirtyTraffic.delete(key)) {
        const [from = '', to = ''] = key.split(' ');
        final.push(reportLinkTraffic(from, to, traffic));
      }
      this.departed.links++;
      addDropped(this.departed.dropped, traffic.dropped);
      this.traffic.delete(key);
      if (!this.linkChaosConfig.has(key)) {
        this.linkChaos.get(key)?.flush();
        this.linkChaos.delete(key);
      }
    }
    // Report the last counts of those links before they are gone.
    if (final.length > 0) this.services.events.emit({ type: 'traffic', room: this.id, links: final });
  }

  private reachablePairs(nodes: readonly string[]): Set<string> {
    const pairs = new Set<string>();
    const sorted = [...nodes].sort();
    for (let i = 0; i < sorted.length; i++) {
      for (let j = i + 1; j < sorted.length; j++) {
        const a = sorted[i]!;
        const b = sorted[j]!;
        if (this.links.reachable(a, b)) pairs.add(linkKey(a, b));
      }
    }
    return pairs;
  }

  private trafficOf(sender: Member, to: string): LinkTraffic {
    let t = sender.trafficTo.get(to);
    if (t === undefined) {
      const key = linkKey(sender.id, to);
      t = this.traffic.get(key);
      if (t === undefined) {
        t = emptyLinkTraffic(key);
        this.traffic.set(key, t);
      }
      sender.trafficTo.set(to, t);
    }
    this.dirtyTraffic.add(t.key);
    return t;
  }

  private chaosFor(from: string, to: string): LinkChaos<HeldFrame> | undefined {
    if (this.roomChaos === undefined && this.linkChaosConfig.size === 0) return undefined;
    const key = linkKey(from, to);
    let chaos = this.linkChaos.get(key);
    if (chaos === undefined) {
      const config = this.linkChaosConfig.get(key) ?? this.roomChaos;
      chaos =
        config === undefined || isNoChaos(config)
          ? null
          : new LinkChaos<HeldFrame>(
              config,
              linkSeed(config.seed, from, to),
              this.services.clock,
              this.queue,
              (held) => this.releaseHeld(held),
            );
      this.linkChaos.set(key, chaos);
    }
    return chaos ?? undefined;
  }

  private forward(sender: Member, target: Member, parcel: Parcel): void {
    const traffic = this.trafficOf(sender, target.id);
    const entries = parcel.channels.length;
    const size = parcel.bytes.length;
    traffic.offered += entries;
    if (!this.links.isUp(sender.id, target.id)) {
      traffic.dropped.cut += entries;
      return;
    }
    const chaos = this.chaosFor(sender.id, target.id);
    if (chaos === undefined) {
      this.deliver(target, parcel, traffic);
      return;
    }
    // Reserve room for a duplicate up front: chaos may deliver synchronously, which releases bytes.
    if (this.delayedBytes + 2 * size > this.services.limits.maxDelayedBytesPerRoom) {
      traffic.dropped.overflow += entries;
      return;
    }
    this.delayedBytes += 2 * size;
    const generation = this.links.generation(sender.id, target.id);
    const { copies } = chaos.submit({ sender, target, parcel, generation, traffic });
    this.delayedBytes -= (2 - copies) * size;
    if (copies === 0) traffic.dropped.chaos += entries;
    else if (copies === 2) traffic.duplicated += entries;
  }

  private releaseHeld(held: HeldFrame): void {
    this.delayedBytes -= held.parcel.bytes.length;
    const { sender, target } = held;
    const live =
      this.members.get(sender.id) === sender &&
      this.members.get(target.id) === target &&
      this.links.isUp(sender.id, target.id) &&
      this.links.generation(sender.id, target.id) === held.generation;
    this.dirtyTraffic.add(held.traffic.key);
    if (!live) {
      held.traffic.dropped.stale += held.parcel.channels.length;
      return;
    }
    this.deliver(target, held.parcel, held.traffic);
  }

  private deliver(target: Member, parcel: Parcel, traffic: LinkTraffic): void {
    if (target.endpoint.bufferedBytes() > this.services.limits.maxBufferedBytes) {
      traffic.dropped.backpressure += parcel.channels.length;
      this.checkSlowConsumer(target);
      return;
    }
    target.overHighWaterSince = undefined;
    target.endpoint.send(parcel.bytes);
    for (let i = 0; i < parcel.channels.length; i++) {
      countDelivery(traffic, parcel.channels[i] as number, parcel.sizes[i] as number);
    }
  }

  private checkSlowConsumer(target: Member): void {
    const now = this.services.clock.now();
    const where = { remote: target.endpoint.remote, room: this.id, node: target.id };
    if (target.overHighWaterSince === undefined) {
      target.overHighWaterSince = now;
      this.services.violation('backpressure', {
        ...where,
        detail: `more than ${this.services.limits.maxBufferedBytes} bytes queued; dropping frames to it`,
      });
      return;
    }
    if (now - target.overHighWaterSince >= this.services.limits.slowConsumerMs) {
      this.services.violation('slow-consumer', {
        ...where,
        detail: `past the high-water mark for ${now - target.overHighWaterSince} ms`,
      });
      this.leave(target, 'slow-consumer');
      target.endpoint.close(CloseCode.SlowConsumer, 'slow consumer');
    }
  }
}
