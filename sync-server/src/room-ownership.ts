/**
 * The relay's seam for running as one node of a cluster: which node owns a room right now. The relay
 * core knows only this interface (it depends on the protocol alone); a plugin such as the Redis
 * cluster of ./cluster implements it with leases and fencing tokens.
 *
 * Every room has one owner at a time. Its windows, link table, chaos, storage peer and any room plugin
 * live on the owner only; a node that does not own a room forwards a window's connection to the owner.
 */
import type { RelayEvent } from './events.ts';
import type { Logger } from './log.ts';
import type { RoomControls } from './room-controls.ts';

/**
 * This node's hold on a room: what a room plugin (the storage peer, an inventory authority) needs to
 * write to shared storage safely. `token` is the fencing token: it grows with every change of owner,
 * every write to shared storage carries it, and the storage refuses a write whose token is no longer
 * the room's current one, so a paused or partitioned ex-owner cannot write after its lease passed.
 */
export interface RoomLease {
  readonly room: string;
  /** This node's id (the owner while the lease holds). */
  readonly nodeId: string;
  /** The fencing token of this ownership (monotonic per room). */
  readonly token: number;
  /** Whether the lease still holds by this node's clock. A hint: the storage's check is the guarantee. */
  isHeld(): boolean;
  /** Called once when the lease is lost or released (the room is being evicted); returns an unsubscribe. */
  onLost(listener: () => void): () => void;
  /** Where the room's cuts and chaos outlive this owner (a cluster's leases have it). */
  readonly controls?: SavedControls;
}

/** A room's cuts and chaos, saved under the room's leases so that the next owner applies them too. */
export interface SavedControls {
  /** What was saved last (read when the lease was taken, then as saved); undefined: nothing is cut. */
  saved(): RoomControls | undefined;
  /**
   * Save them, fenced by the lease's token: resolves once the shared storage has them, rejects when
   * this lease is not the room's live one. Saves of one room land in the order made.
   */
  save(controls: RoomControls): Promise<void>;
}

/** Where a room lives now. */
export type Placement =
  /**
   * Here: this node holds the room's lease. `done` must be called once the join it was asked for has
   * happened or failed, so that a room nobody joined does not keep its lease.
   */
  | { readonly kind: 'here'; readonly lease: RoomLease; readonly done: () => void }
  /** Another node owns it: forward to its relay URL. */
  | { readonly kind: 'elsewhere'; readonly node: string; readonly url: string }
  /** Nobody can take it now (the storage is unreachable, the owner is changing): retry later. */
  | { readonly kind: 'unavailable'; readonly reason: string };

/** What the ownership plugin may ask of the relay. */
export interface OwnershipHost {
  /** This node's relay URL, which other nodes forward windows to. */
  readonly url: string;
  /** Whether the relay still has the room (a member, cuts or chaos): its lease must be kept. */
  hasRoom(room: string): boolean;
  /** The lease was lost: disconnect the room's nodes (they reconnect, through whoever owns it next). */
  evict(room: string, reason: string): Promise<void>;
  readonly log: Logger;
}

/** What /stats reports about the cluster. */
export interface ClusterInfo {
  readonly nodeId: string;
  readonly nodes: readonly { readonly id: string; readonly url: string; readonly rooms: number }[];
  readonly leases: readonly {
    readonly room: string;
    readonly owner: string;
    readonly token: number;
    readonly expiresInMs: number;
  }[];
}

/** Relay events across the cluster, for admin streams that show every node (`/events`). */
export interface ClusterEventChannel {
  /** Tell the other nodes of an event of this one. */
  publish(event: RelayEvent): void;
  /** Events the other nodes published, with the node (`relay`) each came from. */
  subscribe(listener: (relay: string, event: RelayEvent) => void): () => void;
}

export interface RoomOwnership {
  readonly nodeId: string;
  /** The cluster's event channel, when the plugin has one. */
  readonly events?: ClusterEventChannel;
  /** Where `room` lives. With `claim`, a room nobody owns is taken here; without, it stays unowned (`unavailable`). */
  place(room: string, options: { readonly claim: boolean }): Promise<Placement>;
  /** This node's lease on the room, if it holds one. */
  lease(room: string): RoomLease | undefined;
  /** The node that holds the room's lease now (undefined: nobody); rejects when that cannot be known. */
  owner(room: string): Promise<string | undefined>;
  /**
   * How often the relay checks that the rooms it forwards windows for are still owned where it forwards
   * them: a paused owner's connections stay open while its lease passes, and must be moved on.
   */
  readonly checkEveryMs: number;
  /** The relay forgot the room (and its storage is unloaded): give up the lease unless it is in use again. */
  settle(room: string): Promise<void>;
  /** The cluster as last seen (refreshed with every heartbeat). */
  info(): ClusterInfo;
  /** Release every lease and stop. */
  close(): Promise<void>;
}

export interface OwnershipPlugin {
  readonly nodeId: string;
  start(host: OwnershipHost): Promise<RoomOwnership>;
}
