/**
 * The relay's side of the storage peers' thread (./peer-worker.ts). Each loaded room keeps its
 * in-process node here, on the relay's thread, so the storage peer joins, is cut and suffers chaos like
 * any node; what the node receives is posted to the worker, and what the worker's replica sends is routed
 * by the node. Posting costs a copy of the payload, never an engine's apply: the relay forwards a frame
 * to every other node of the room, and every other room's frames, while the worker applies.
 *
 * What waits in the worker is bounded per room (`maxBacklogBytes`): past it, frames to the storage peer
 * are dropped (logged when an episode starts and when it ends, with what it dropped), as the room drops
 * frames to any node that falls behind; the peers' anti-entropy sends what it lacks again once it has
 * caught up. What the node receives in one run (a frame, a bundle of every engine's update of one
 * intent) is taken or dropped whole, as the room's backpressure does, so the storage peer never applies
 * an intent in some engines and not the others because the limit fell between two entries.
 *
 * If the worker dies (an engine crashed it, or it ran out of memory), its rooms' nodes leave and
 * `onLost` hears which rooms to load again; what the replicas had reported durable is on disk.
 */
import { Worker } from 'node:worker_threads';
import { errorMessage, type Transport } from '@converge/protocol';
import type { ByteLog, ByteLogContents } from '@converge/replica';
import type { Logger } from '../log.ts';
import type { StorageStatus } from '../room-storage.ts';
import type { FromWorker, PeerStatusReply, StoreLocation, ToWorker } from './peer-thread-protocol.ts';
import type { PeerWorkerData } from './peer-worker.ts';

/** Where a room's replica store lives: a directory the worker opens, or a byte log kept on this thread. */
export type PeerStore =
  | { readonly kind: 'directory'; readonly directory: string }
  | { readonly kind: 'relay'; readonly log: ByteLog };

export interface PeerThreadOptions {
  readonly log: Logger;
  /** The worker's module (default: ./peer-worker-entry.mjs, which loads the TypeScript sources). */
  readonly workerUrl?: URL;
  readonly workerData?: PeerWorkerData;
  /** Most payload bytes waiting in the worker per room before frames to its storage peer are dropped. */
  readonly maxBacklogBytes?: number;
  /** The worker died: these rooms' storage peers are gone (their nodes have left). */
  readonly onLost: (rooms: readonly string[]) => void;
}

export const DEFAULT_MAX_BACKLOG_BYTES = 64 * 1024 * 1024;

/** The export condition under which workspace packages (@converge/*) give their TypeScript sources. */
const SOURCE_CONDITION = '@converge/source';

interface HostedRoom {
  readonly transport: Transport;
  readonly store: PeerStore;
  /** Payload bytes posted and not yet reported handled. */
  backlog: number;
  /** Entries received in the current run, posted (or dropped) together at its end. */
  readonly incoming: Incoming[];
  incomingBytes: number;
  /** The drop episode under way: entries and bytes dropped since it started. */
  dropping: { entries: number; bytes: number } | undefined;
  opened?: { resolve: () => void; reject: (error: Error) => void };
  closed?: () => void;
}

interface Incoming {
  readonly from: string;
  readonly channel: number;
  readonly payload: Uint8Array;
}

export class PeerThread {
  private readonly worker: Worker;
  private readonly rooms = new Map<string, HostedRoom>();
  private readonly statusCalls = new Map<number, (status: PeerStatusReply | undefined) => void>();
  private nextId = 0;
  private dead = false;
  private readonly maxBacklogBytes: number;
  /** Resolves once the worker has exited. */
  readonly exited: Promise<void>;

  constructor(private readonly options: PeerThreadOptions) {
    this.maxBacklogBytes = options.maxBacklogBytes ?? DEFAULT_MAX_BACKLOG_BYTES;
    this.worker =
      options.workerUrl === undefined
        ? new Worker(new URL('./peer-worker-entry.mjs', import.meta.url), {
            workerData: options.workerData ?? {},
            // From the sources: the entry registers tsx itself, and workspace packages resolve to their
            // TypeScript (the condition npm's node-options give this process, which a worker does not read).
            execArgv: [`--conditions=${SOURCE_CONDITION}`],
          })
        : new Worker(options.workerUrl, { workerData: options.workerData ?? {} });
    options.log.info('storage-worker-started', { threadId: this.worker.threadId });
    this.worker.on('message', (message: FromWorker) => this.received(message));
    this.worker.on('error', (error) => {
      options.log.error('storage-worker-failed', { error: error.stack ?? error.message });
    });
    this.exited = new Promise((resolve) => {
      this.worker.on('exit', (code) => {
        options.log.info('storage-worker-stopped', { threadId: this.worker.threadId, code });
        this.lost(code);
        resolve();
      });
    });
  }

  /** Whether the worker still runs. */
  alive(): boolean {
    return !this.dead;
  }

  /** Rooms hosted (loading, loaded or closing). */
  size(): number {
    return this.rooms.size;
  }

  /**
   * Load the room's replica in the worker, on `transport` (the room's in-process node, not started yet:
   * started here, so a refusal by the room's limits throws before anything is posted).
   */
  open(room: string, transport: Transport, store: PeerStore): Promise<void> {
    if (this.dead) return Promise.reject(new Error('the storage worker has exited'));
    if (this.rooms.has(room)) return Promise.reject(new Error(`room ${room} is already hosted`));
    const hosted: HostedRoom = {
      transport,
      store,
      backlog: 0,
      incoming: [],
      incomingBytes: 0,
      dropping: undefined,
    };
    const opened = new Promise<void>((resolve, reject) => {
      hosted.opened = { resolve, reject };
    });
    this.rooms.set(room, hosted);
    try {
      transport.start({
        // What was received before a link or state change reaches the worker before it, in order.
        state: (state) => {
          this.admit(room, hosted);
          this.post({ type: 'state', room, state });
        },
        linkUp: (peer) => {
          this.admit(room, hosted);
          this.post({ type: 'link-up', room, peer });
        },
        linkDown: (peer, reason) => {
          this.admit(room, hosted);
          this.post({ type: 'link-down', room, peer, reason });
        },
        cuts: (links) => {
          this.admit(room, hosted);
          this.post({ type: 'cuts', room, links });
        },
        message: (from, channel, payload) => this.message(room, hosted, from, channel, payload),
        frameEnd: () => this.admit(room, hosted),
      });
    } catch (error) {
      this.rooms.delete(room);
      transport.close();
      return Promise.reject(error);
    }
    const location: StoreLocation =
      store.kind === 'directory' ? { kind: 'directory', directory: store.directory } : { kind: 'relay' };
    this.post({ type: 'open', room, store: location });
    return opened;
  }

  /** Unload the room: it leaves, its pending writes become durable, its engines and store close. */
  close(room: string): Promise<void> {
    const hosted = this.rooms.get(room);
    if (hosted === undefined || this.dead) return Promise.resolve();
    return new Promise<void>((resolve) => {
      hosted.closed = resolve;
      this.admit(room, hosted);
      this.post({ type: 'close', room });
    });
  }

  /** What the room's replica holds, from the worker (so it waits for an apply under way there). */
  status(room: string): Promise<Omit<StorageStatus, 'room' | 'loaded'> | undefined> {
    if (this.dead || !this.rooms.has(room)) return Promise.resolve(undefined);
    const id = ++this.nextId;
    return new Promise((resolve) => {
      this.statusCalls.set(id, resolve);
      this.post({ type: 'status', room, id });
    });
  }

  /** Stop the worker (after `close` of every room). */
  async terminate(): Promise<void> {
    if (!this.dead) await this.worker.terminate();
    await this.exited;
  }

  private message(
    room: string,
    hosted: HostedRoom,
    from: string,
    channel: number,
    payload: Uint8Array,
  ): void {
    // Collected until the frame's last entry (`frameEnd`; the end of the run for a node that does not
    // tell), so the limit is checked against the whole frame (every entry of a bundle) at once.
    if (hosted.incoming.length === 0) queueMicrotask(() => this.admit(room, hosted));
    hosted.incoming.push({ from, channel, payload });
    hosted.incomingBytes += payload.length;
  }

  /** Post the frame the node received (its entries so far), or drop all of it past the room's limit. */
  private admit(room: string, hosted: HostedRoom): void {
    if (hosted.incoming.length === 0) return;
    const entries = hosted.incoming.splice(0);
    const bytes = hosted.incomingBytes;
    hosted.incomingBytes = 0;
    if (this.rooms.get(room) !== hosted) return;
    // A frame larger than the limit still goes once nothing waits: else what repairs it never could.
    if (hosted.backlog > 0 && hosted.backlog + bytes > this.maxBacklogBytes) {
      if (hosted.dropping === undefined) {
        hosted.dropping = { entries: 0, bytes: 0 };
        this.options.log.warn('storage-backlog-dropped', { room, backlogBytes: hosted.backlog });
      }
      hosted.dropping.entries += entries.length;
      hosted.dropping.bytes += bytes;
      return;
    }
    if (hosted.dropping !== undefined) {
      this.options.log.info('storage-backlog-resumed', {
        room,
        droppedEntries: hosted.dropping.entries,
        droppedBytes: hosted.dropping.bytes,
      });
      hosted.dropping = undefined;
    }
    hosted.backlog += bytes;
    for (const { from, channel, payload } of entries) {
      // A copy of its own (not `slice`: on a Buffer that is a view): the payload is a view of the
      // received frame, which other nodes of the room are sent too, so its buffer must not be transferred.
      const copy = new Uint8Array(payload);
      this.post({ type: 'message', room, from, channel, payload: copy }, [copy.buffer]);
    }
  }

  private post(message: ToWorker, transfer: ArrayBuffer[] = []): void {
    if (!this.dead) this.worker.postMessage(message, transfer);
  }

  private received(message: FromWorker): void {
    switch (message.type) {
      case 'send':
        this.rooms.get(message.room)?.transport.send(message.to, message.channel, message.payload);
        return;
      case 'broadcast': {
        const transport = this.rooms.get(message.room)?.transport;
        if (transport?.broadcast !== undefined) transport.broadcast(message.channel, message.payload);
        else
          for (const peer of transport?.reachable() ?? [])
            transport?.send(peer, message.channel, message.payload);
        return;
      }
      case 'handled': {
        const hosted = this.rooms.get(message.room);
        if (hosted !== undefined) hosted.backlog = Math.max(0, hosted.backlog - message.bytes);
        return;
      }
      case 'opened':
        this.rooms.get(message.room)?.opened?.resolve();
        return;
      case 'open-failed': {
        const hosted = this.rooms.get(message.room);
        this.rooms.delete(message.room);
        hosted?.transport.close();
        hosted?.opened?.reject(new Error(message.error));
        return;
      }
      case 'leave':
        this.rooms.get(message.room)?.transport.close();
        return;
      case 'closed': {
        const hosted = this.rooms.get(message.room);
        this.rooms.delete(message.room);
        hosted?.transport.close();
        hosted?.closed?.();
        return;
      }
      case 'status-reply':
        this.statusCalls.get(message.id)?.(message.status);
        this.statusCalls.delete(message.id);
        return;
      case 'log-call':
        void this.callLog(message.id, message.room, message.op, message.bytes);
        return;
      case 'log':
        if (message.level === 'warn') this.options.log.warn(message.event, message.fields);
        else this.options.log.error(message.event, message.fields);
        return;
      default:
        return;
    }
  }

  /** The worker's replica store calls the room's byte log, which lives on this thread. */
  private async callLog(
    id: number,
    room: string,
    op: 'open' | 'append' | 'compact' | 'close',
    bytes: Uint8Array | undefined,
  ): Promise<void> {
    const store = this.rooms.get(room)?.store;
    try {
      if (store?.kind !== 'relay') throw new Error(`room ${room} has no log on the relay's thread`);
      let value: ByteLogContents | undefined;
      if (op === 'open') value = await store.log.open();
      else if (op === 'append') await store.log.append(bytes ?? new Uint8Array());
      else if (op === 'compact') await store.log.compact(bytes ?? new Uint8Array());
      else await store.log.close();
      this.post(value === undefined ? { type: 'log-reply', id } : { type: 'log-reply', id, value });
    } catch (error) {
      this.post({ type: 'log-reply', id, error: errorMessage(error) });
    }
  }

  /** The worker exited: every room it hosted has lost its storage peer. */
  private lost(code: number): void {
    this.dead = true;
    const rooms = [...this.rooms.keys()];
    for (const hosted of this.rooms.values()) {
      hosted.transport.close();
      hosted.opened?.reject(new Error(`the storage worker exited (code ${code})`));
      hosted.closed?.();
    }
    this.rooms.clear();
    for (const resolve of this.statusCalls.values()) resolve(undefined);
    this.statusCalls.clear();
    if (rooms.length > 0) {
      this.options.log.error('storage-worker-exited', { code, rooms });
      this.options.onLost(rooms);
    }
  }
}
