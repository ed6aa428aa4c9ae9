/**
 * The storage peers: one replica per room, with no user of its own and a durable store. It joins its room
 * like any node (so the link table can partition it too) and syncs every engine with every reachable
 * window, so a window that joins alone receives what others wrote while it was away.
 *
 * The replicas run in a worker thread (./peer-thread.ts, ./peer-worker.ts), one per relay, started with
 * the relay and stopped when it closes or after ten minutes without a loaded room: their engines' applies
 * (tens of seconds for a large paste in Automerge) never hold up the relay's thread, which forwards every
 * room's frames meanwhile.
 * The room's in-process node stays on the relay's thread, so links, chaos and limits apply as before.
 *
 * A storage peer is loaded only while its room has a live window (any node but the storage peer):
 * the first window's join loads it from disk, the last window's leave unloads it (its pending writes
 * made durable, its engines closed, its store closed). A room nobody is in therefore costs no memory
 * and, once its storage peer is gone, counts against no room limit; its state waits on disk. Loads
 * and unloads of one room run one after another, so a room is never open twice on the same files.
 *
 * The storage peer's node id is reserved: a window cannot take it over (the room refuses the join).
 *
 * Where a peer's store lives is a `PeerStores`: a directory per room (`storagePeers(dataDir)`), opened
 * by the worker, or in a cluster a fenced log in Redis under the room's lease (../cluster), kept on the
 * relay's thread with the lease and called by the worker, so whichever node owns the room next resumes it.
 */

import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, isValidId, STORAGE_NODE_ID, splitCheckoutChannel } from '@converge/protocol';
import type { Logger } from '../log.ts';
import type { RoomStorage, StorageHost, StoragePlugin, StorageStatus } from '../room-storage.ts';
import { type PeerStore, PeerThread } from './peer-thread.ts';

export { STORAGE_NODE_ID };

/** Where the storage peers keep each room. */
export interface PeerStores {
  /** For the relay's stats and log (a directory, a Redis URL). */
  readonly location: string;
  /** Called once before any store opens (create the directory, count what is there). */
  prepare(host: StorageHost): Promise<void>;
  /** The room's store; undefined when this node must not store the room now (another node owns it). */
  open(room: string, host: StorageHost): PeerStore | undefined;
  /** Whether anything was ever stored for the room. */
  isStored(room: string): Promise<boolean>;
  /** Whether a store `open` gave may no longer write (its lease passed); the peer is then reopened. */
  isStale?(room: string, store: PeerStore, host: StorageHost): boolean;
}

export interface StoragePeersOptions {
  /**
   * A module whose `engines` export is the `EngineRegistry` the storage peers host (a URL or path the
   * worker can import); default every engine of @converge/replica.
   */
  readonly registry?: string;
  /** The worker's module, for a bundled build (default: the sources' ./peer-worker-entry.mjs). */
  readonly workerUrl?: URL;
  /** Most payload bytes waiting for one room's storage peer before frames to it are dropped (64 MiB). */
  readonly maxBacklogBytes?: number;
}

/** The storage peers as the relay's storage plugin: a directory per room under `dataDir` (created if missing). */
export function storagePeers(dataDir: string, options: StoragePeersOptions = {}): StoragePlugin {
  return storagePeersOn(fileStores(dataDir), options);
}

/** The storage peers over any `PeerStores`. */
export function storagePeersOn(stores: PeerStores, options: StoragePeersOptions = {}): StoragePlugin {
  return {
    location: stores.location,
    async start(host) {
      await stores.prepare(host);
      const peers = new StoragePeers(host, stores, host.log, options);
      peers.prewarm();
      return peers;
    },
  };
}

/** A crash-safe file store per room under `dataDir`. */
export function fileStores(dataDir: string): PeerStores {
  const directoryOf = (room: string): string => join(dataDir, directoryOfRoom(room));
  return {
    location: dataDir,
    async prepare(host) {
      await mkdir(dataDir, { recursive: true });
      let rooms = 0;
      for (const entry of await readdir(dataDir, { withFileTypes: true })) {
        if (!entry.isDirectory()) continue;
        if (roomOfDirectory(entry.name) === undefined)
          host.log.warn('storage-skipped-directory', { name: entry.name });
        else rooms++;
      }
      host.log.info('storage-rooms-on-disk', { rooms });
    },
    // The worker opens it (and reports damage through the relay's log).
    open: (room) => ({ kind: 'directory', directory: directoryOf(room) }),
    isStored: (room) =>
      stat(directoryOf(room)).then(
        (info) => info.isDirectory(),
        () => false,
      ),
  };
}

/** How long the worker stays without a loaded room before it is stopped (and its memory goes). */
const IDLE_WORKER_MS = 10 * 60_000;
/** How long after its worker died a room's storage peer is loaded again. */
const RELOAD_AFTER_CRASH_MS = 1000;

interface LoadedPeer {
  readonly store: PeerStore;
  readonly thread: PeerThread;
}

export class StoragePeers implements RoomStorage {
  private readonly loaded = new Map<string, LoadedPeer>();
  /** Per room, the load or unload under way; the next one waits for it. */
  private readonly work = new Map<string, Promise<void>>();
  /** The worker hosting the loaded rooms' replicas; started with the relay, stopped when idle or closed. */
  private thread: PeerThread | undefined;
  private idleTimer: ReturnType<typeof setTimeout> | undefined;
  private closed = false;

  /** Nothing is loaded until a window joins a room. */
  constructor(
    private readonly host: StorageHost,
    private readonly stores: PeerStores,
    private readonly log: Logger,
    private readonly options: StoragePeersOptions = {},
  ) {}

  /**
   * Bring the room's storage peer in line with the room: loaded while it has a window, unloaded
   * otherwise. Call after every join and leave; resolves once this room's earlier work and this
   * check are done.
   */
  reconcile(room: string): Promise<void> {
    const next = (this.work.get(room) ?? Promise.resolve())
      .then(() => this.settle(room))
      .catch((error: unknown) => this.log.error('storage-peer-failed', { room, error: errorMessage(error) }));
    this.work.set(room, next);
    void next.finally(() => {
      if (this.work.get(room) === next) this.work.delete(room);
    });
    return next;
  }

  /** Rooms whose storage peer is in memory. */
  rooms(): string[] {
    return [...this.loaded.keys()].sort();
  }

  /**
   * Start the worker now, so the first room's storage peer does not wait for it to load every engine's
   * code (seconds on a busy machine); it stops again if no room loads for a while.
   */
  prewarm(): void {
    this.runningThread();
    this.stopWhenIdle();
  }

  /** The room's storage peer, or undefined when the room has never been stored. Waits for a load under way. */
  async status(room: string): Promise<StorageStatus | undefined> {
    await this.work.get(room);
    const peer = this.loaded.get(room);
    const held = peer === undefined ? undefined : await peer.thread.status(room);
    if (held === undefined) {
      const stored = await this.stores.isStored(room);
      return stored ? { room, loaded: false, pendingWrites: 0, engines: {} } : undefined;
    }
    return { room, loaded: true, ...held };
  }

  /** Unload every peer after its pending writes are durable, then stop the worker; nothing loads afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const rooms = new Set([...this.loaded.keys(), ...this.work.keys()]);
    await Promise.all([...rooms].map((room) => this.reconcile(room)));
    clearTimeout(this.idleTimer);
    const thread = this.thread;
    this.thread = undefined;
    await thread?.terminate();
  }

  private async settle(room: string): Promise<void> {
    const wanted = !this.closed && this.host.hasWindows(room);
    let peer = this.loaded.get(room);
    if (peer !== undefined && !peer.thread.alive()) {
      this.loaded.delete(room); // its worker died: load it again from what is durable
      peer = undefined;
    }
    if (peer !== undefined && (!wanted || this.stores.isStale?.(room, peer.store, this.host) === true)) {
      await this.unload(room, peer);
      peer = undefined;
    }
    if (wanted && peer === undefined) await this.load(room);
    this.stopWhenIdle();
  }

  private runningThread(): PeerThread {
    clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.thread?.alive() === true) return this.thread;
    const thread = new PeerThread({
      log: this.log,
      ...(this.options.workerUrl === undefined ? {} : { workerUrl: this.options.workerUrl }),
      ...(this.options.maxBacklogBytes === undefined
        ? {}
        : { maxBacklogBytes: this.options.maxBacklogBytes }),
      workerData: this.options.registry === undefined ? {} : { registry: this.options.registry },
      // Each lost room is loaded again (if it still has a window) from what its store made durable, after
      // a pause: a worker that cannot start at all must not be restarted in a tight loop.
      onLost: (rooms) => {
        setTimeout(() => {
          for (const room of rooms) void this.reconcile(room);
        }, RELOAD_AFTER_CRASH_MS).unref();
      },
    });
    this.thread = thread;
    return thread;
  }

  /**
   * No room loaded for a while: the worker goes, and its memory with it. Not at once: starting it loads
   * every engine's code (seconds on a busy machine), which a room joined soon after should not wait for.
   */
  private stopWhenIdle(): void {
    if (this.thread === undefined || this.thread.size() > 0 || this.loaded.size > 0) return;
    clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      const thread = this.thread;
      if (thread === undefined || thread.size() > 0 || this.loaded.size > 0 || this.work.size > 0) return;
      this.thread = undefined;
      void thread.terminate();
    }, IDLE_WORKER_MS);
    this.idleTimer.unref();
  }

  private async load(room: string): Promise<void> {
    const store = this.stores.open(room, this.host);
    if (store === undefined) return; // not this node's room (any more)
    const thread = this.runningThread();
    try {
      // The room's checkout authority is no replica: the storage peer never syncs an engine with it.
      const { transport } = splitCheckoutChannel(
        this.host.openLocalNode({ room, nodeId: STORAGE_NODE_ID, role: 'storage' }),
      );
      await thread.open(room, transport, store);
      this.loaded.set(room, { store, thread });
      this.log.info('storage-peer-loaded', { room });
    } catch (error) {
      // A room whose storage cannot open (e.g. the node limit) still works; it just has no storage peer.
      // One that was loading when the relay began shutting down is simply not needed any more.
      if (this.closed) this.log.info('storage-peer-load-abandoned', { room, reason: errorMessage(error) });
      else this.log.error('storage-peer-failed', { room, error: errorMessage(error) });
      await this.closeStore(room, store);
    }
  }

  private async unload(room: string, peer: LoadedPeer): Promise<void> {
    this.loaded.delete(room);
    // Leaves the room first, then waits for its pending writes, then frees its engines and closes its store.
    await peer.thread.close(room);
    this.log.info('storage-peer-unloaded', { room });
  }

  /** A store the worker never opened: a log kept on this thread is still closed here. */
  private async closeStore(room: string, store: PeerStore): Promise<void> {
    if (store.kind !== 'relay') return;
    try {
      await store.log.close();
    } catch (error) {
      this.log.error('storage-close-failed', { room, error: errorMessage(error) });
    }
  }
}

/** Room ids are already a safe charset; encoding also covers ':' and '@' on every file system. */
export function directoryOfRoom(room: string): string {
  return encodeURIComponent(room);
}

export function roomOfDirectory(name: string): string | undefined {
  let room: string;
  try {
    room = decodeURIComponent(name);
  } catch {
    return undefined;
  }
  return isValidId(room) && directoryOfRoom(room) === name ? room : undefined;
}
