/**
 * Where one outside client identity's document and replica live between its connections: the slot keeps
 * the outside document and the replica's store in its log (./slot-log.ts: under the room's storage with
 * a data directory, so both survive a restart; in memory without one), and opens the bridge
 * (./client-bridge.ts) while at least one of the identity's sockets is connected. Opening and closing
 * run one after another, and an outside edit that arrives while the bridge opens is translated once it
 * is open (its baseline is the document as it was when opening began). A client's update and the
 * replica records its translation appends are stored together; what a crash left untranslated is
 * translated when the bridge next opens.
 */

import { join } from 'node:path';
import { CloseCode, errorMessage } from '@converge/protocol';
import { type ByteLog, LogStore, MemoryByteLog, WORKSPACE, type WorkspaceSchema } from '@converge/replica';
import { FileByteLog } from '@converge/replica/node';
import type { WebSocket } from 'ws';
import type { GatewayHost, GatewayRequest } from '../gateways.ts';
import type { Logger } from '../log.ts';
import { directoryOfRoom } from '../storage/storage-peers.ts';
import { ClientBridge, type OutsideDocument, type OutsideEdit } from './client-bridge.ts';
import { outsidePresence } from './outside-presence.ts';
import type { OutsideProblem, OutsideState } from './outside-state.ts';
import type { InteropPresence, OutsideClient } from './presence.ts';
import { type LoadedSlot, SlotLog } from './slot-log.ts';

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

  /** What the document showed before the updates a crash left untranslated (translated at the next open). */
  private untranslatedSince: OutsideState | undefined;

  constructor(
    readonly document: D,
    readonly log: SlotLog,
    /** The replica's id in the room. */
    readonly replicaName: string,
    readonly room: string,
    readonly primary: 'yjs' | 'automerge',
    /** Set when the log held client updates no bridge translated: what the document showed before them. */
    untranslatedSince?: OutsideState,
  ) {
    if (untranslatedSince !== undefined) {
      this.untranslatedSince = untranslatedSince;
      this.pending = new Set();
    }
  }

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

  /**
   * A client changed the outside document by `update` (`counted`: cart paths it changed by counting).
   * The update and the replica records of its translation are stored as one record.
   */
  outsideChanged(update: Uint8Array, edit: OutsideEdit): void {
    const bridge = this.bridge;
    if (bridge !== undefined) {
      this.log.translate(update, () => bridge.outsideChanged(edit));
      return;
    }
    this.log.untranslatedUpdate(update);
    this.pending ??= new Set();
    for (const path of edit.counted ?? []) this.pending.add(path);
  }

  /** The gateway wrote `update` into the outside document: what the engines show, nothing to translate. */
  written(update: Uint8Array): void {
    this.log.written(update);
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
    // What the client wrote from now until the bridge is open is translated against this.
    const baseline = this.untranslatedSince ?? this.document.read({ texts: true }).state;
    try {
      this.bridge = await ClientBridge.open({
        room: this.room,
        replicaId: this.replicaName,
        host,
        primary: this.primary,
        document: this.document,
        store: new LogStore(this.log.replicaLog),
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
      // Nobody to serve after all: what no bridge translated waits for the next opening.
      if (this.pending !== undefined) this.untranslatedSince = baseline;
      await this.shut();
      return;
    }
    this.untranslatedSince = undefined;
    this.announcePresence();
    const counted = this.pending;
    const bridge = this.bridge;
    this.pending = undefined;
    this.log.translate(undefined, () =>
      bridge.reconcile(counted === undefined ? undefined : baseline, counted),
    );
  }
}

/**
 * A gateway socket waits (paused: nothing is read) until its client's slot is open, then `serve` gets it;
 * a slot that cannot open (its log unreadable) closes the socket with the reason.
 */
export function serveOnceOpen<T>(
  socket: WebSocket,
  { credential }: GatewayRequest,
  log: Logger,
  opening: Promise<T>,
  serve: (opened: T) => void,
): void {
  // Nothing is read until the bridge holds the room: the client's first sync gets the room as it is.
  socket.pause();
  socket.on('error', () => socket.terminate());
  opening.then(serve, (error: unknown) => {
    const reason = `cannot open this client's document: ${errorMessage(error)}`;
    log.error('interop-slot-failed', { room: credential.room, client: credential.replica, error: reason });
    socket.close(CloseCode.TryAgainLater, reason.slice(0, 120));
  });
}

/** What a gateway needs to build a slot's document: what the slot's log held, and the log itself. */
export interface SlotOpening {
  readonly replicaName: string;
  readonly log: SlotLog;
  readonly loaded: LoadedSlot;
}

/**
 * What both gateways share: the slots of every outside identity (kept while the relay runs; with a data
 * directory their logs live under `DATA_DIR/<room>/interop/`), the schema, a tag unique to this relay
 * run (a new slot's replica id is never one used before with another store: engines that number edits
 * by replica id would clash with what peers already hold; a stored slot keeps its id with its store),
 * and the presence listeners.
 */
export class InteropState implements InteropPresence {
  readonly schema: WorkspaceSchema = WORKSPACE;
  private readonly slots = new Map<string, Promise<BridgeSlot<OutsideDocument>>>();
  private readonly listeners = new Set<(room: string) => void>();
  private readonly presenceSources: ((room: string) => OutsideClient[])[] = [];

  constructor(
    readonly runTag: string,
    /** Where slots keep their logs (undefined: in memory, for as long as the relay runs). */
    private readonly dataDir: string | undefined,
    private readonly log: Logger,
  ) {}

  /** The slot of a client identity in a room for one gateway, loaded or created on first use. */
  slot<D extends OutsideDocument>(
    room: string,
    identity: string,
    kind: 'yjs' | 'automerge',
    create: (opening: SlotOpening) => BridgeSlot<D>,
  ): Promise<BridgeSlot<D>> {
    const key = slotKey(kind, room, identity);
    let slot = this.slots.get(key) as Promise<BridgeSlot<D>> | undefined;
    if (slot === undefined) {
      slot = this.openSlot(room, identity, kind, create);
      this.slots.set(key, slot as unknown as Promise<BridgeSlot<OutsideDocument>>);
      // A slot that could not open is tried again by the next connection.
      slot.catch(() => this.slots.delete(key));
    }
    return slot;
  }

  private async openSlot<D extends OutsideDocument>(
    room: string,
    identity: string,
    kind: 'yjs' | 'automerge',
    create: (opening: SlotOpening) => BridgeSlot<D>,
  ): Promise<BridgeSlot<D>> {
    const { log, loaded } = await SlotLog.open(this.byteLogOf(room, kind, identity));
    for (const damage of loaded.damage)
      this.log.warn('interop-storage-damage', { room, client: identity, protocol: kind, damage });
    const replicaName =
      loaded.meta?.replicaName ?? `${identity.slice(0, 48)}@${kind === 'yjs' ? 'yjs' : 'am'}.${this.runTag}`;
    let slot: BridgeSlot<D>;
    try {
      slot = create({ replicaName, log, loaded });
      slot.presence = () => this.presence(room).filter((client) => client.replica === replicaName);
      if (loaded.meta === undefined) {
        const { documentId } = slot.document;
        await log.setMeta({ replicaName, ...(documentId === undefined ? {} : { documentId }) });
      }
    } catch (error) {
      await log.close();
      throw error;
    }
    return slot;
  }

  private byteLogOf(room: string, kind: 'yjs' | 'automerge', identity: string): ByteLog {
    if (this.dataDir === undefined) return new MemoryByteLog();
    const dir = join(
      this.dataDir,
      directoryOfRoom(room),
      'interop',
      `${kind}-${encodeURIComponent(identity)}`,
    );
    return new FileByteLog(dir, {
      onDamage: (damage) => this.log.warn('interop-storage-damage', { room, client: identity, ...damage }),
    });
  }

  /** Every slot of a room that is open. */
  async slotsOf(room: string): Promise<BridgeSlot<OutsideDocument>[]> {
    const slots = [...this.slots.entries()].filter(([key]) => key.split('|')[1] === room);
    const settled = await Promise.allSettled(slots.map(([, slot]) => slot));
    return settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
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
    // Slots still opening announce when their bridge opens.
    void this.slotsOf(room).then((slots) => {
      for (const slot of slots) slot.announcePresence();
    });
    for (const listener of this.listeners) listener(room);
  }

  /** What GET /rooms/ROOM/interop answers: the outside clients, and each bridge with its last problems. */
  async status(room: string): Promise<unknown> {
    return {
      room,
      clients: this.presence(room),
      bridges: (await this.slotsOf(room)).map((slot) => ({
        replica: slot.replicaName,
        protocol: slot.primary,
        connections: slot.connections,
        problems: slot.problems,
      })),
    };
  }

  /** Close every bridge (their replicas leave), then every slot's log once what it holds is durable. */
  async close(): Promise<void> {
    const settled = await Promise.allSettled(this.slots.values());
    const slots = settled.flatMap((result) => (result.status === 'fulfilled' ? [result.value] : []));
    await Promise.all(
      slots.map(async (slot) => {
        await slot.settled();
        await slot.shut();
        await slot.log.close();
      }),
    );
    this.slots.clear();
  }
}

function slotKey(kind: string, room: string, identity: string): string {
  return `${kind}|${room}|${identity}`;
}
