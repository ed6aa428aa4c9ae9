/**
 * What can be asked of a running relay, in process (tests, the Electron main process) or over the
 * admin HTTP API, which is a thin JSON layer over this interface.
 */

import type { ChaosConfig } from './chaos.ts';
import type { CredentialRequest, MintedCredential } from './credentials.ts';
import type { RelayEvent, RelayEventListener, Violation } from './events.ts';
import type { RelayLimits } from './limits.ts';
import type { DirectedLink, LinkOperation } from './link-table.ts';
import type { LinkChange, RoomChaosInfo, RoomInfo } from './room.ts';
import type { ClusterInfo } from './room-ownership.ts';
import type { StorageStatus } from './room-storage.ts';
import type { DepartedTrafficReport, LinkTrafficReport } from './traffic.ts';

export interface HealthInfo {
  readonly ok: true;
  readonly uptimeMs: number;
  readonly rooms: number;
  readonly connections: number;
}

export interface RelayStats {
  readonly uptimeMs: number;
  readonly rooms: number;
  readonly connections: number;
  readonly nodes: number;
  readonly violations: Readonly<Record<Violation, number>>;
  readonly limits: RelayLimits;
  readonly dataDir: string | null;
  /** The `host:port` values requests must name (DNS-rebinding protection). */
  readonly allowedHosts: readonly string[];
  /** Sockets not yet past their headers or not yet joined (capped by `limits.maxPendingSockets`). */
  readonly pendingSockets: number;
  /** In a cluster: its nodes, rooms per node and leases, as this node last saw them; null standalone. */
  readonly cluster: ClusterInfo | null;
}

/** Every room of the cluster, as the nodes that own them answered. */
export interface ClusterRooms {
  readonly rooms: readonly RoomInfo[];
  /** Live nodes that did not answer in time: their rooms are missing. */
  readonly unreachable: readonly string[];
}

/** A relay event, with the node it happened on in a cluster. */
export type ClusterEvent = RelayEvent & { readonly relay?: string };

export interface RelayControl {
  health(): HealthInfo;
  stats(): RelayStats;
  /** This node's rooms. */
  rooms(): RoomInfo[];
  /** Every room of the cluster, each with its `owner` (outside a cluster, this relay's rooms). */
  clusterRooms(): Promise<ClusterRooms>;
  room(id: string): RoomInfo | undefined;
  traffic(room: string): LinkTrafficReport[] | undefined;
  /** What was dropped on the room's links to and from nodes that left (`traffic` no longer lists them). */
  departedTraffic(room: string): DepartedTrafficReport | undefined;
  /**
   * Change links (creating the room if needed, so partitions can be set before nodes join). `source`,
   * the address of a remote caller, counts a room it creates against that address's creation rate.
   */
  applyLinks(room: string, operation: LinkOperation, source?: string): LinkChange;
  /**
   * Set or clear (null) the chaos of a room (link null) or of one directed link. The config is
   * validated; missing fields are off. Throws ChaosConfigError for an invalid one.
   */
  setChaos(
    room: string,
    link: DirectedLink | null,
    config: Partial<ChaosConfig> | null,
    source?: string,
  ): RoomChaosInfo;
  /**
   * Resolves once the room's cuts and chaos as they are now are where the room's next owner reads them
   * (at once outside a cluster); rejects with a ControlError (503) when they could not be saved there.
   */
  whenControlsSaved(room: string): Promise<void>;
  /** A signed credential for one replica of a room (CredentialError for an invalid request). */
  mintCredential(request: CredentialRequest): Promise<MintedCredential>;
  subscribe(listener: RelayEventListener): () => void;
  /** Events of every node of the cluster, each with its `relay` (outside a cluster, `subscribe`'s). */
  subscribeCluster(listener: (event: ClusterEvent) => void): () => void;
  /** The room's storage peer: what it holds and whether it is all durable (undefined without one). */
  storageStatus(room: string): Promise<StorageStatus | undefined>;
  /** The room's checkout authority: stock, orders, holders (undefined without one). */
  checkoutStatus(room: string): Promise<unknown>;
  /** An operator's control of the room's authority (set stock, inject failures, pause, resume). */
  checkoutControl(room: string, body: unknown): Promise<unknown>;
}

/** A refused control request, with the HTTP status that describes it. */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 421 | 429 | 503,
    message: string,
  ) {
    super(message);
  }
}
