/**
 * The network panel's view of a relay room, computed from the admin API's answers: the link matrix
 * (with the pairs a cut does not separate, because a third node — usually the storage peer — still
 * carries their edits), the partition presets, who this replica is cut off from, and traffic totals.
 */
import { AUTHORITY_NODE_ID, type StoragePlacement, storageWith } from '@converge/protocol';
import type { EngineName } from '@converge/replica';
import type { EngineFacts } from '@converge/replica/descriptors';
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
  /**
   * When the two nodes cannot reach each other directly but still do through others (edits hop from
   * replica to replica): the nodes in between on a shortest way, e.g. ["storage"]. Else absent.
   */
  readonly via?: readonly string[];
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
  const graph = reachability(room);
  const rows = nodes.map((from) =>
    nodes.map((to): LinkCell | undefined => {
      if (from.id === to.id) return undefined;
      const cell = { from: from.id, to: to.id, up: !cut.has(`${from.id} ${to.id}`) };
      if (graph.get(from.id)?.has(to.id) === true) return cell;
      // Checkout's authority answers only who reaches it directly: no way round to it or from it.
      if (from.id === AUTHORITY_NODE_ID || to.id === AUTHORITY_NODE_ID) return cell;
      const via = wayBetween(graph, from.id, to.id);
      return via === undefined ? cell : { ...cell, via };
    }),
  );
  return { nodes, rows };
}

/** A pair a cut separates directly that still syncs through other nodes. */
export interface IndirectPair {
  readonly a: string;
  readonly b: string;
  readonly via: readonly string[];
}

/** Every such pair once (in matrix order). */
export function indirectPairs(matrix: LinkMatrix): IndirectPair[] {
  const out: IndirectPair[] = [];
  matrix.rows.forEach((row, i) => {
    row.forEach((cell, j) => {
      if (cell?.via !== undefined && j > i) out.push({ a: cell.from, b: cell.to, via: cell.via });
    });
  });
  return out;
}

/** Who reaches whom directly (both directions up), as the relay reports it. */
function reachability(room: RoomInfo): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>(room.nodes.map((n) => [n.id, new Set<string>()]));
  for (const node of room.nodes) {
    for (const peer of node.reachable) {
      if (!graph.has(peer)) continue;
      graph.get(node.id)?.add(peer);
      graph.get(peer)?.add(node.id);
    }
  }
  return graph;
}

/** The nodes between `from` and `to` on a shortest way through the graph, or undefined if none. */
function wayBetween(
  graph: ReadonlyMap<string, ReadonlySet<string>>,
  from: string,
  to: string,
): string[] | undefined {
  const previous = new Map<string, string>([[from, from]]);
  const queue = [from];
  for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
    // The authority carries no edits: a way never passes through it.
    if (node === AUTHORITY_NODE_ID) continue;
    for (const next of [...(graph.get(node) ?? [])].sort()) {
      if (previous.has(next)) continue;
      previous.set(next, node);
      if (next === to) {
        const via: string[] = [];
        for (let at = node; at !== from; at = previous.get(at) as string) via.unshift(at);
        return via;
      }
      queue.push(next);
    }
  }
  return undefined;
}

/** The operation a click on a cell performs: cut an up link, heal a cut one. */
export function toggleLink(cell: LinkCell): LinkOperation {
  return { op: cell.up ? 'cut' : 'heal', from: cell.from, to: cell.to };
}

/** Isolate this replica from every other node, the storage peer included (both directions). */
export function isolatePreset(self: string): LinkOperation {
  return { op: 'isolate', node: self };
}

/** Where "split in halves" puts the storage peer: alone, with my half, with the other half, or linked to both. */
export type StorageSide = 'alone' | 'mine' | 'theirs' | 'everywhere';

export const STORAGE_SIDES: readonly StorageSide[] = ['alone', 'mine', 'theirs', 'everywhere'];

/**
 * Split the room's windows in two halves of (nearly) equal size, this replica in the first, and put the
 * storage peer where `storage` says (it carries edits across the split when linked to both halves).
 * Other nodes (tools) are left alone. The order is the matrix order, so the same room always splits the
 * same way. Undefined with fewer than two windows.
 */
export function splitInHalvesPreset(
  room: RoomInfo,
  self: string,
  storage: StorageSide,
): Extract<LinkOperation, { op: 'split' }> | undefined {
  const nodes = linkMatrix(room, self).nodes;
  const windows = nodes.filter((n) => n.role === 'replica').map((n) => n.id);
  if (windows.length < 2) return undefined;
  const half = Math.ceil(windows.length / 2);
  const mine = windows.slice(0, half);
  const theirs = windows.slice(half);
  const others = nodes.filter((n) => n.role !== 'replica' && n.role !== 'storage').map((n) => [n.id]);
  const groups = [mine, theirs, ...others];
  if (!nodes.some((n) => n.role === 'storage')) return { op: 'split', groups };
  const placement: StoragePlacement =
    storage === 'mine'
      ? storageWith(mine[0] as string)
      : storage === 'theirs'
        ? storageWith(theirs[0] as string)
        : storage;
  return { op: 'split', groups, storage: placement };
}

/** "a, b | c; the storage peer alone": what a split does, in words. */
export function describeSplit(split: Extract<LinkOperation, { op: 'split' }>): string {
  const halves = split.groups.map((g) => g.join(', ')).join('  |  ');
  const storage = split.storage;
  if (storage === undefined) return halves;
  const where =
    storage === 'alone'
      ? 'alone (cut off from both halves)'
      : storage === 'everywhere'
        ? 'linked to both halves (edits cross the split through it)'
        : `with ${storage.slice('with-'.length)}'s half`;
  return `${halves}; the storage peer ${where}`;
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

/** Sum the relay's per-link counters (cumulative) over the room, per engine of `registry` (by its channel). */
export function roomTraffic(
  registry: {
    readonly names: readonly EngineName[];
    readonly descriptors: readonly Pick<EngineFacts, 'name' | 'wireCode'>[];
  },
  links: Iterable<LinkTraffic>,
): RoomTraffic {
  const engines = {} as Record<EngineName, { frames: number; bytes: number }>;
  for (const engine of registry.names) engines[engine] = { frames: 0, bytes: 0 };
  const dropped: Record<string, number> = {};
  let duplicated = 0;
  for (const link of links) {
    for (const descriptor of registry.descriptors) {
      const counts = link.channels[String(descriptor.wireCode)];
      const total = engines[descriptor.name];
      if (counts === undefined || total === undefined) continue;
      total.frames += counts.frames;
      total.bytes += counts.bytes;
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
