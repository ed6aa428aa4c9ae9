/**
 * Where a room's storage peer goes when the windows are split into groups. A storage peer syncs with
 * every node it reaches, so it carries edits between groups it is linked to: a split that does not say
 * where it goes is not a partition anyone can reason about. One definition for the relay's split
 * operation, the scenario format and the app's presets, so a split means the same in all of them:
 *
 * - `alone`: the storage peer is cut off from every group (the default of scenarios: the simulation of
 *   old had no storage peer, and one that reaches nobody changes nothing until the heal);
 * - `everywhere`: it stays linked to every group, so it bridges them (edits cross the split through it);
 * - `with-ID`: it joins the group of node ID (ID alone with it when no group names ID).
 */
import { idProblem } from './frames.ts';

/** The storage peer's node id in every room (reserved: no window can take it). */
export const STORAGE_NODE_ID = 'storage';

export type StoragePlacement = 'alone' | 'everywhere' | `with-${string}`;

export const DEFAULT_STORAGE_PLACEMENT: StoragePlacement = 'alone';

const WITH = 'with-';

/** Why a value is not a storage placement, or undefined when it is one. */
export function storagePlacementProblem(value: unknown): string | undefined {
  if (value === 'alone' || value === 'everywhere') return undefined;
  if (typeof value !== 'string' || !value.startsWith(WITH))
    return 'must be "alone", "everywhere" or "with-<node id>"';
  const node = value.slice(WITH.length);
  const problem = idProblem(node);
  if (problem !== undefined) return `names node ${JSON.stringify(node)}, whose id ${problem}`;
  if (node === STORAGE_NODE_ID) return 'cannot place the storage peer with itself';
  return undefined;
}

export function isStoragePlacement(value: unknown): value is StoragePlacement {
  return storagePlacementProblem(value) === undefined;
}

/** The node a `with-ID` placement joins, else undefined. */
export function storageCompanion(placement: StoragePlacement): string | undefined {
  return placement.startsWith(WITH) ? placement.slice(WITH.length) : undefined;
}

export function storageWith(node: string): StoragePlacement {
  return `${WITH}${node}`;
}

export interface PlacedGroups {
  /** The groups with the storage peer in one of them (unless it bridges). */
  readonly groups: string[][];
  /** The node linked to every group (the storage peer for `everywhere`), else undefined. */
  readonly bridge: string | undefined;
}

/**
 * The groups of a split of the windows with the storage peer placed. The groups must not name the
 * storage peer themselves (throws RangeError).
 */
export function placeStorage(
  groups: readonly (readonly string[])[],
  placement: StoragePlacement,
  storage: string = STORAGE_NODE_ID,
): PlacedGroups {
  if (groups.some((group) => group.includes(storage))) {
    throw new RangeError(
      `the groups name the storage peer ${storage}; say where it goes with "storage" instead`,
    );
  }
  const placed = groups.map((group) => [...group]);
  if (placement === 'everywhere') return { groups: placed, bridge: storage };
  const companion = storageCompanion(placement);
  if (companion === undefined) {
    placed.push([storage]);
  } else {
    const group = placed.find((g) => g.includes(companion));
    if (group === undefined) placed.push([companion, storage]);
    else group.push(storage);
  }
  return { groups: placed, bridge: undefined };
}

/**
 * The reverse of `placeStorage`: a split of nodes (groups that may name the storage peer, maybe a
 * bridge) as groups of windows and a placement. Empty groups are dropped.
 */
export function placementOf(
  groups: readonly (readonly string[])[],
  bridge?: string,
  storage: string = STORAGE_NODE_ID,
): { groups: string[][]; storage: StoragePlacement } {
  const windows = groups.map((group) => group.filter((id) => id !== storage)).filter((g) => g.length > 0);
  if (bridge === storage) return { groups: windows, storage: 'everywhere' };
  const home = groups.find((group) => group.includes(storage));
  const companion = home?.find((id) => id !== storage);
  return { groups: windows, storage: companion === undefined ? 'alone' : storageWith(companion) };
}
