/**
 * The storage peers: one replica per room living in the relay's process, with no user of its own and
 * a durable file store under the data directory. It joins its room like any node (so the link table can
 * partition it too) and syncs every engine with every reachable window, so a window that joins alone
 * receives what others wrote while it was away.
 *
 * A storage peer is loaded only while its room has a live window (any node but the storage peer):
 * the first window's join loads it from disk, the last window's leave unloads it (its pending writes
 * made durable, its engines closed, its store closed). A room nobody is in therefore costs no memory
 * and, once its storage peer is gone, counts against no room limit; its state waits on disk. Loads
 * and unloads of one room run one after another, so a room is never open twice on the same files.
 *
 * The storage peer's node id is reserved: a window cannot take it over (the room refuses the join).
 *
 * Where a peer's store lives is a `PeerStores`: a directory per room (`storagePeers(dataDir)`), or in a
 * cluster a fenced log in Redis under the room's lease (../cluster), so whichever node owns the room
 * next resumes it.
 */

import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorMessage, isValidId, STORAGE_NODE_ID, splitCheckoutChannel } from '@converge/protocol';
import { ENGINES, type EngineStatus, Replica, type Store } from '@converge/replica';
import { FileStore } from '@converge/replica/node';
import type { Logger } from '../log.ts';
import type { RoomStorage, StorageHost, StoragePlugin, StorageStatus } from '../room-storage.ts';

export { STORAGE_NODE_ID };

/** Where the storage peers keep each room. */
export interface PeerStores {
  /** For the relay's stats and log (a directory, a Redis URL). */
  readonly location: string;
  /** Called once before any store opens (create the directory, count what is there). */
  prepare(host: StorageHost): Promise<void>;
  /** The room's store; undefined when this node must not store the room now (another node owns it). */
  open(room: string, host: StorageHost): Store | undefined;
  /** Whether anything was ever stored for the room. */
  isStored(room: string): Promise<boolean>;
  /** Whether a store `open` gave may no longer write (its lease passed); the peer is then reopened. */
  isStale?(room: string, store: Store, host: StorageHost): boolean;
}

/** The storage peers as the relay's storage plugin: a directory per room under `dataDir` (created if missing). */
export function storagePeers(dataDir: string): StoragePlugin {
  return storagePeersOn(fileStores(dataDir));
}

/** The storage peers over any `PeerStores`. */
export function storagePeersOn(stores: PeerStores): StoragePlugin {
  return {
    location: stores.location,
    async start(host) {
      await stores.prepare(host);
      return new StoragePeers(host, stores, host.log);
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
    open(room, host) {
      return new FileStore(directoryOf(room), {
        onDamage: (damage) => host.log.warn('storage-damage', { room, ...damage }),
      });
    },
    isStored: (room) =>
      stat(directoryOf(room)).then(
        (info) => info.isDirectory(),
        () => false,
      ),
  };
}

interface LoadedPeer {
  readonly replica: Replica;
  readonly store: Store;
}

export class StoragePeers implements RoomStorage {
  private readonly loaded = new Map<string, LoadedPeer>();
  /** Per room, the load or unload under way; the next one waits for it. */
  private readonly work = new Map<string, Promise<void>>();
  private closed = false;

  /** Nothing is loaded until a window joins a room. */
  constructor(
    private readonly host: StorageHost,
    private readonly stores: PeerStores,
    private readonly log: Logger,
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

  /** The room's storage peer, or undefined when the room has never been stored. Waits for a load under way. */
  async status(room: string): Promise<StorageStatus | undefined> {
    await this.work.get(room);
    const peer = this.loaded.get(room);
    if (peer === undefined) {
      const stored = await this.stores.isStored(room);
      return stored ? { room, loaded: false, pendingWrites: 0, engines: {} } : undefined;
    }
    const status = peer.replica.status();
    const engines: Record<string, Pick<EngineStatus, 'digest' | 'version'>> = {};
    for (const [name, engine] of Object.entries(status.engines) as [string, EngineStatus][]) {
      engines[name] = { digest: engine.digest, version: engine.version };
    }
    return { room, loaded: true, pendingWrites: peer.replica.pendingWriteCount(), engines };
  }

  /** Unload every peer after its pending writes are durable; nothing loads afterwards. */
  async close(): Promise<void> {
    this.closed = true;
    const rooms = new Set([...this.loaded.keys(), ...this.work.keys()]);
    await Promise.all([...rooms].map((room) => this.reconcile(room)));
  }

  private async settle(room: string): Promise<void> {
    const wanted = !this.closed && this.host.hasWindows(room);
    let peer = this.loaded.get(room);
    if (peer !== undefined && (!wanted || this.stores.isStale?.(room, peer.store, this.host) === true)) {
      await this.unload(room, peer);
      peer = undefined;
    }
    if (wanted && peer === undefined) await this.load(room);
  }

  private async load(room: string): Promise<void> {
    const store = this.stores.open(room, this.host);
    if (store === undefined) return; // not this node's room (any more)
    try {
      const replica = await Replica.open({
        id: STORAGE_NODE_ID,
        // The room's checkout authority is no replica: the storage peer never syncs an engine with it.
        transport: splitCheckoutChannel(
          this.host.openLocalNode({ room, nodeId: STORAGE_NODE_ID, role: 'storage' }),
        ).transport,
        store,
        engines: ENGINES,
      });
      replica.subscribe((event) => {
        if (event.type === 'problem') this.log.warn('storage-problem', { room, ...event.problem });
      });
      this.loaded.set(room, { replica, store });
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
    // Leaves the room first, then waits for its pending writes, then frees its engines.
    await peer.replica.close();
    await this.closeStore(room, peer.store);
    this.log.info('storage-peer-unloaded', { room });
  }

  private async closeStore(room: string, store: Store): Promise<void> {
    try {
      await store.close();
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
