/**
 * The relay's seam for room storage: a plugin that keeps what each room's windows wrote, through a node
 * of its own in the room (a replica with a durable store, for the storage peers in ./storage). The
 * relay core knows only this interface, so it depends on the protocol alone; the composition root (the
 * CLI, the Electron main process, web mode) chooses the plugin and passes it to createRelay.
 */

import type { Timers } from '@converge/protocol';
import type { LocalNodeOptions, LocalTransport } from './local-node.ts';
import type { Logger } from './log.ts';
import type { RoomLease } from './room-ownership.ts';

/** What a storage plugin may ask of the relay. */
export interface StorageHost {
  openLocalNode(options: LocalNodeOptions): LocalTransport;
  /** Whether the room has a live window: a node other than its storage peer. */
  hasWindows(room: string): boolean;
  /**
   * In a cluster, this node's lease on the room with its fencing token: a plugin writes to shared
   * storage only under it (undefined: this node does not own the room, so it must not write).
   * A standalone relay has no leases: it is the only writer of its own data directory.
   */
  lease(room: string): RoomLease | undefined;
  /**
   * In a cluster, take the room here if nobody owns it (or this node does), for a plugin that must act on
   * a room without windows (a checkout saga cut off by its owner's death). Resolves to the claim's
   * release once `lease(room)` holds — call it when done; the lease then stays while the room has a
   * node — or to undefined when another node owns the room (or outside a cluster).
   */
  claim(room: string): Promise<(() => void) | undefined>;
  readonly log: Logger;
  /** The relay's clock (a test's VirtualClock, or real time). */
  readonly clock: Timers;
}

/** What the room's storage holds, for the admin API (`GET /rooms/ROOM/storage`). */
export interface StorageStatus {
  readonly room: string;
  /** Whether the room's storage is in memory (a window is in the room); otherwise its state is on disk only. */
  readonly loaded: boolean;
  /** Writes not yet durable; 0 means everything the storage holds is durable (always 0 when unloaded). */
  readonly pendingWrites: number;
  /** What the loaded storage holds, per engine it hosts: its state digest and version (empty when unloaded). */
  readonly engines: Readonly<Record<string, { readonly digest: string; readonly version: unknown }>>;
}

/** A running storage plugin. */
export interface RoomStorage {
  /** Bring the room's storage in line with the room (called after every join and leave). */
  reconcile(room: string): Promise<void>;
  /** The room's storage, or undefined when the room has never been stored. */
  status(room: string): Promise<StorageStatus | undefined>;
  /** Make everything durable and stop; nothing loads afterwards. */
  close(): Promise<void>;
}

export interface StoragePlugin {
  /** Where the storage keeps its data, for the relay's stats and log (a directory, say). */
  readonly location: string;
  /** Start watching rooms; called once, before the relay accepts any node. */
  start(host: StorageHost): Promise<RoomStorage>;
}
