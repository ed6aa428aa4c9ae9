/**
 * Where one outside client identity's document and replica live between its connections: the slot keeps
 * the outside document and the replica's store for as long as the relay runs, and opens the bridge
 * (./client-bridge.ts) while at least one of the identity's sockets is connected. Opening and closing
 * run one after another, and an outside edit that arrives while the bridge opens is translated once it
 * is open (its baseline is the document as it was when opening began).
 */
import { CloseCode, errorMessage } from '@converge/protocol';
import { type Store, WORKSPACE, type WorkspaceSchema } from '@converge/replica';
import type { GatewayHost } from '../gateways.ts';
import { ClientBridge, type OutsideDocument } from './client-bridge.ts';
import { outsidePresence } from './outside-presence.ts';
import type { OutsideProblem } from './outside-state.ts';
import type { InteropPresence, OutsideClient } from './presence.ts';

type CloseSocket = (code: number, reason: string) => void;

export class BridgeSlot<D extends OutsideDocument> {
  private bridge: ClientBridge | undefined;
  private readonly sockets = new Set<CloseSocket>();
  private work: Promise<void> = Promise.resolve();
  /** Settles once the bridge that the sockets attached now wait for is open and caught up (or failed). */
  private readyNow: Promise<void> = Promise.resolve();
  /** An outside edit arrived while no bridge was open; `counted` gathers its counted paths. */
  private pending: Set<string> | undefined;
  private lastProblems: readonly OutsideProblem[] = [];
  /** Who this identity's clients are now, for the room's presence list (set by InteropState). */
  presence: () => OutsideClient[] = () => [];
  private announced: { readonly bridge: ClientBridge; readonly key: string } | undefined;

  constructor(
    readonly document: D,
    private readonly store: Store,
    /** The replica's id in the room. */
    readonly replicaName: string,
    readonly room: string,
    readonly primary: 'yjs' | 'automerge',
  ) {}

  get connections(): number {
    return this.sockets.size;
  }

  get problems(): readonly OutsideProblem[] {
    return this.lastProblems;
  }

  /**
   * A socket of this identity connected; the bridge opens with the first one. Resolves once the bridge
   * is open and holds the room (serve the socket from then on), or could not open (the socket is closed).
   */
  attach(host: GatewayHost, close: CloseSocket): Promise<void> {
    this.sockets.add(close);
    if (this.sockets.size === 1) {
      this.work = this.work.then(() => this.open(host));
      this.readyNow = this.work.then(() => this.bridge?.caughtUp());
    }
    return this.readyNow;
  }

  /** A socket left; the bridge closes with the last one (its replica leaves the room). */
  detach(close: CloseSocket): void {
    if (!this.sockets.delete(close) || this.sockets.size > 0) return;
    this.work = this.work.then(() => this.shut());
  }

  /** The client changed the outside document (`counted`: cart paths it changed by counting). */
  outsideChanged(counted?: ReadonlySet<string>): void {
    if (this.bridge !== undefined) {
      this.bridge.outsideChanged(counted);
      return;
    }
    this.pending ??= new Set();
    for (const path of counted ?? []) this.pending.add(path);
  }

  /** The clients' presence changed: the bridge's replica announces it to the room (if it is open). */
  announcePresence(): void {
    const presence = outsidePresence(this.presence());
    if (this.bridge === undefined || presence === undefined) return;
    // Awareness changes with every cursor move of the client; the room hears only what it shows.
    const key = JSON.stringify(presence);
    if (this.bridge === this.announced?.bridge && key === this.announced.key) return;
    this.announced = { bridge: this.bridge, key };
    try {
      this.bridge.replica.setPresence(presence);
    } catch {
      // Closing meanwhile: it leaves the room, and its presence with it.
    }
  }

  /** Wait for opening or closing under way. */
  settled(): Promise<void> {
    return this.work;
  }

  async shut(): Promise<void> {
    const bridge = this.bridge;
    this.bridge = undefined;
    await bridge?.close();
  }

  private async open(host: GatewayHost): Promise<void> {
    if (this.bridge !== undefined || this.sockets.size === 0) return;
    const baseline = this.document.read().state;
    try {
      this.bridge = await ClientBridge.open({
        room: this.room,
        replicaId: this.replicaName,
        host,
        primary: this.primary,
        document: this.document,
        store: this.store,
        baseline,
        onProblems: (problems) => {
          this.lastProblems = problems;
        },
      });
    } catch (error) {
      // The replica cannot join (its id is taken, the room is full): its client cannot be served.
      const reason = `cannot join room ${this.room} as ${this.replicaName}: ${errorMessage(error)}`;
      host.log.warn('interop-join-failed', { room: this.room, replica: this.replicaName, error: reason });
      for (const close of [...this.sockets]) close(CloseCode.TryAgainLater, reason.slice(0, 120));
      return;
    }
    if (this.sockets.size === 0) {
      await this.shut();
      return;
    }
    this.announcePresence();
    if (this.pending !== undefined) {
      const counted = this.pending;
      this.pending = undefined;
      this.bridge.outsideChanged(counted);
    }
  }
}

/**
 * What both gateways share: the slots of every outside identity (kept while the relay runs), the
 * schema, a tag unique to this relay run (a replica id is never reused with a fresh store: engines that
 * number edits by replica id would clash with what peers already hold), and the presence listeners.
 */
export class InteropState implements InteropPresence {
  readonly schema: WorkspaceSchema = WORKSPACE;
  private readonly slots = new Map<string, BridgeSlot<OutsideDocument>>();
  private readonly listeners = new Set<(room: string) => void>();
  private readonly presenceSources: ((room: string) => OutsideClient[])[] = [];

  constructor(readonly runTag: string) {}

  /** The slot of a client identity in a room for one gateway, created on first use. */
  slot<D extends OutsideDocument>(
    room: string,
    identity: string,
    kind: 'yjs' | 'automerge',
    create: (replicaName: string) => BridgeSlot<D>,
  ): BridgeSlot<D> {
    const key = `${kind}|${room}|${identity}`;
    let slot = this.slots.get(key) as BridgeSlot<D> | undefined;
    if (slot === undefined) {
      slot = create(`${identity.slice(0, 48)}@${kind === 'yjs' ? 'yjs' : 'am'}.${this.runTag}`);
      const { replicaName } = slot;
      slot.presence = () => this.presence(room).filter((client) => client.replica === replicaName);
      this.slots.set(key, slot as unknown as BridgeSlot<OutsideDocument>);
    }
    return slot;
  }

  /** Every slot of a room. */
  slotsOf(room: string): BridgeSlot<OutsideDocument>[] {
    return [...this.slots.entries()].filter(([key]) => key.split('|')[1] === room).map(([, slot]) => slot);
  }

  addPresenceSource(source: (room: string) => OutsideClient[]): void {
    this.presenceSources.push(source);
  }

  presence(room: string): OutsideClient[] {
    return this.presenceSources.flatMap((source) => source(room));
  }

  subscribe(listener: (room: string) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  presenceChanged(room: string): void {
    for (const slot of this.slotsOf(room)) slot.announcePresence();
    for (const listener of this.listeners) listener(room);
  }

  /** What GET /rooms/ROOM/interop answers: the outside clients, and each bridge with its last problems. */
  status(room: string): unknown {
    return {
      room,
      clients: this.presence(room),
      bridges: this.slotsOf(room).map((slot) => ({
        replica: slot.replicaName,
        protocol: slot.primary,
        connections: slot.connections,
        problems: slot.problems,
      })),
    };
  }

  /** Close every bridge (their replicas leave); the documents go with the relay. */
  async close(): Promise<void> {
    await Promise.all([...this.slots.values()].map((slot) => slot.settled().then(() => slot.shut())));
  }
}
