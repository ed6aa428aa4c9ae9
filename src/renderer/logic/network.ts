/**
 * The network panel's view of a relay room, computed from the admin API's answers: the link matrix,
 * the partition presets, who this replica is cut off from, and traffic totals per engine.
 */
import { ENGINE_NAMES, type EngineName } from '@converge/replica';
import type { ChaosConfig, LinkOperation, LinkTraffic, RoomInfo } from './relay-admin.ts';

export interface MatrixNode {
  readonly id: string;
  readonly role: string;
  readonly self: boolean;
}

export interface LinkCell {
  readonly from: string;
  readonly to: string;
  readonly up: boolean;
}

export interface LinkMatrix {
  /** Row and column order: this replica first, then replicas, then other roles, each by id. */
  readonly nodes: readonly MatrixNode[];
  /** rows[i][j]: the directed link nodes[i] → nodes[j]; undefined on the diagonal. */
  readonly rows: readonly (readonly (LinkCell | undefined)[])[];
}

const ROLE_ORDER: Readonly<Record<string, number>> = { replica: 0, storage: 1, tool: 2 };

export function linkMatrix(room: RoomInfo, self: string): LinkMatrix {
  const cut = new Set(room.cut.map((l) => `${l.from} ${l.to}`));
  const nodes: MatrixNode[] = room.nodes
    .map((n) => ({ id: n.id, role: n.role, self: n.id === self }))
    .sort(
      (a, b) =>
        Number(b.self) - Number(a.self) ||
        (ROLE_ORDER[a.role] ?? 9) - (ROLE_ORDER[b.role] ?? 9) ||
        (a.id < b.id ? -1 : a.id > b.id ? 1 : 0),
    );
  const rows = nodes.map((from) =>
    nodes.map((to) =>
      from.id === to.id ? undefined : { from: from.id, to: to.id, up: !cut.has(`${from.id} ${to.id}`) },
    ),
  );
  return { nodes, rows };
}

/** The operation a click on a cell performs: cut an up link, heal a cut one. */
export function toggleLink(cell: LinkCell): LinkOperation {
  return { op: cell.up ? 'cut' : 'heal', from: cell.from, to: cell.to };
}

/** Isolate this replica from every other node (both directions). */
export function isolatePreset(self: string): LinkOperation {
  return { op: 'isolate', node: self };
}

/**
 * Split the room in two halves of (nearly) equal size, this replica in the first. The order is the
 * matrix order, so the same room always splits the same way. Undefined with fewer than two nodes.
 */
export function splitInHalvesPreset(room: RoomInfo, self: string): LinkOperation | undefined {
  const ids = linkMatrix(room, self).nodes.map((n) => n.id);
  if (ids.length < 2) return undefined;
  const half = Math.ceil(ids.length / 2);
  return { op: 'split', groups: [ids.slice(0, half), ids.slice(half)] };
}

export const HEAL_ALL: LinkOperation = { op: 'heal-all' };

/** Nodes of the room this replica cannot reach (a link either way cut), or undefined if it is not in it. */
export function cutOffFrom(room: RoomInfo, self: string): string[] | undefined {
  const me = room.nodes.find((n) => n.id === self);
  if (me === undefined) return undefined;
  const reachable = new Set(me.reachable);
  return room.nodes
    .filter((n) => n.id !== self && !reachable.has(n.id))
    .map((n) => n.id)
    .sort();
}

export interface EngineTrafficTotal {
  readonly frames: number;
  readonly bytes: number;
}

export interface RoomTraffic {
  readonly engines: Readonly<Record<EngineName, EngineTrafficTotal>>;
  /** Frames the relay did not deliver, by reason (cut link, chaos...). */
  readonly dropped: Readonly<Record<string, number>>;
  readonly duplicated: number;
}

/** Sum the relay's per-link counters (cumulative) over the room. */
export function roomTraffic(links: Iterable<LinkTraffic>): RoomTraffic {
  const engines = {} as Record<EngineName, { frames: number; bytes: number }>;
  for (const engine of ENGINE_NAMES) engines[engine] = { frames: 0, bytes: 0 };
  const dropped: Record<string, number> = {};
  let duplicated = 0;
  for (const link of links) {
    for (const engine of ENGINE_NAMES) {
      const counts = link.engines[engine];
      if (counts === undefined) continue;
      engines[engine].frames += counts.frames;
      engines[engine].bytes += counts.bytes;
    }
    for (const [reason, count] of Object.entries(link.dropped))
      dropped[reason] = (dropped[reason] ?? 0) + count;
    duplicated += link.duplicated;
  }
  return { engines, dropped, duplicated };
}

/** The chaos the sliders edit; missing fields mean "none". */
export interface ChaosSliders {
  readonly delayMs: number;
  readonly dropRate: number;
  readonly duplicateRate: number;
  readonly reorderWindow: number;
  readonly seed: number;
}

export const NO_CHAOS_SLIDERS: ChaosSliders = {
  delayMs: 0,
  dropRate: 0,
  duplicateRate: 0,
  reorderWindow: 1,
  seed: 1,
};

export function slidersOf(config: ChaosConfig | null | undefined): ChaosSliders {
  if (config === null || config === undefined) return NO_CHAOS_SLIDERS;
  return {
    delayMs: config.delayMs,
    dropRate: config.dropRate,
    duplicateRate: config.duplicateRate,
    reorderWindow: config.reorderWindow,
    seed: config.seed,
  };
}

export function isNoChaos(s: ChaosSliders): boolean {
  return s.delayMs === 0 && s.dropRate === 0 && s.duplicateRate === 0 && s.reorderWindow <= 1;
}

/**
 * The scenario format's chaos step for the sliders. The relay reorders within a window of W frames; the
 * scenario runner reorders each frame with a probability, taken here as 1 − 1/W (the share of a full
 * window that can be overtaken), so W = 1 exports as no reordering.
 */
export function scenarioChaosOf(s: ChaosSliders): {
  drop: number;
  duplicate: number;
  reorder: number;
  delayMs: number;
  seed: number;
} {
  return {
    drop: s.dropRate,
    duplicate: s.duplicateRate,
    reorder: s.reorderWindow <= 1 ? 0 : Math.round((1 - 1 / s.reorderWindow) * 1000) / 1000,
    delayMs: Math.round(s.delayMs),
    seed: s.seed,
  };
}
