/**
 * What can be asked of a running relay, in process (tests, the Electron main process) or over the
 * admin HTTP API, which is a thin JSON layer over this interface.
 */

import type { ChaosConfig } from './chaos.ts';
import type { RelayEventListener, Violation } from './events.ts';
import type { RelayLimits } from './limits.ts';
import type { DirectedLink, LinkOperation } from './link-table.ts';
import type { LinkChange, RoomChaosInfo, RoomInfo } from './room.ts';
import type { StorageStatus } from './storage-peer.ts';
import type { LinkTrafficReport } from './traffic.ts';

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
  readonly tokenRequired: boolean;
}

export interface RelayControl {
  health(): HealthInfo;
  stats(): RelayStats;
  rooms(): RoomInfo[];
  room(id: string): RoomInfo | undefined;
  traffic(room: string): LinkTrafficReport[] | undefined;
  /** Change links (creating the room if needed, so partitions can be set before nodes join). */
  applyLinks(room: string, operation: LinkOperation): LinkChange;
  /**
   * Set or clear (null) the chaos of a room (link null) or of one directed link. The config is
   * validated; missing fields are off. Throws ChaosConfigError for an invalid one.
   */
  setChaos(room: string, link: DirectedLink | null, config: Partial<ChaosConfig> | null): RoomChaosInfo;
  subscribe(listener: RelayEventListener): () => void;
  /** The room's storage peer: what it holds and whether it is all durable (undefined without one). */
  storageStatus(room: string): Promise<StorageStatus | undefined>;
}

/** A refused control request, with the HTTP status that describes it. */
export class ControlError extends Error {
  override readonly name = 'ControlError';
  constructor(
    readonly status: 400 | 401 | 403 | 404 | 405 | 409 | 413 | 415 | 503,
    message: string,
  ) {
    super(message);
  }
}
