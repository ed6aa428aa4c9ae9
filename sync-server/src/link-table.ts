/**
 * The link table of one room: every directed link between two nodes is up unless cut.
 * Cuts are kept by node id, not by connection, so a partition survives a node reconnecting.
 * Presets act on the nodes known at the time (present or named in the call); a node that joins
 * later starts with every link up, except links cut by name.
 *
 * Each directed link also has a generation that grows on every cut, so a frame held by chaos
 * across a cut and a heal is recognised as belonging to the old link and not delivered.
 */

export interface DirectedLink {
  readonly from: string;
  readonly to: string;
}

/** A change to the link table, as the admin API and tests express it. */
export type LinkOperation =
  | { readonly op: 'cut'; readonly from: string; readonly to: string; readonly bothWays?: boolean }
  | { readonly op: 'heal'; readonly from: string; readonly to: string; readonly bothWays?: boolean }
  | { readonly op: 'isolate'; readonly node: string }
  | {
      readonly op: 'split';
      readonly groups: readonly (readonly string[])[];
      /** Where the storage peer goes; then the groups name windows only (see storage-placement.ts). */
      readonly storage?: StoragePlacement;
    }
  | { readonly op: 'bridge'; readonly node: string; readonly groups: readonly (readonly string[])[] }
  | { readonly op: 'heal-all' };

export class LinkOperationError extends Error {
  override readonly name = 'LinkOperationError';
}

function checkNodes(operation: LinkOperation): void {
  const nodes: unknown[] = [];
  switch (operation.op) {
    case 'cut':
    case 'heal':
      nodes.push(operation.from, operation.to);
      break;
    case 'isolate':
      nodes.push(operation.node);
      break;
    case 'bridge':
      nodes.push(operation.node, ...operation.groups.flat());
      break;
    case 'split': {
      nodes.push(...operation.groups.flat());
      const placement: unknown = operation.storage;
      if (placement !== undefined) {
        const problem = storagePlacementProblem(placement);
        if (problem !== undefined) throw new LinkOperationError(`storage ${problem}`);
        const companion = storageCompanion(operation.storage as StoragePlacement);
        if (companion !== undefined) nodes.push(companion);
      }
      break;
    }
    default:
      break;
  }
  for (const node of nodes) {
    const problem = idProblem(node);
    if (problem !== undefined) throw new LinkOperationError(`node id ${JSON.stringify(node)} ${problem}`);
  }
}

// Ids never contain spaces (see protocol.ts), so a space separates the two ends unambiguously.
const key = (from: string, to: string): string => `${from} ${to}`;

export class LinkTable {
  private readonly cuts = new Set<string>();
  private readonly generations = new Map<string, number>();

  isUp(from: string, to: string): boolean {
    // The common case (nothing cut) must not build a key per frame.
    return this.cuts.size === 0 || !this.cuts.has(key(from, to));
  }

  /** Frames can flow both ways: what a node calls reachable. */
  reachable(a: string, b: string): boolean {
    return this.isUp(a, b) && this.isUp(b, a);
  }

  generation(from: string, to: string): number {
    return this.generations.get(key(from, to)) ?? 0;
  }

  /** Every cut directed link, sorted. */
  cutLinks(): DirectedLink[] {
    return [...this.cuts].sort().map((k) => {
      const [from = '', to = ''] = k.split(' ');
      return { from, to };
    });
  }

  isDefault(): boolean {
    return this.cuts.size === 0;
  }

  /**
   * Apply an operation. `present` are the nodes in the room now; presets also act on them.
   * Throws LinkOperationError for an invalid operation (nothing is changed then).
   */
  apply(operation: LinkOperation, present: readonly string[]): void {
    checkNodes(operation);
    switch (operation.op) {
      case 'cut':
      case 'heal': {
        if (operation.from === operation.to) throw new LinkOperationError('a link joins two different nodes');
        const set = operation.op === 'cut' ? this.cut.bind(this) : this.heal.bind(this);
        set(operation.from, operation.to);
        if (operation.bothWays === true) set(operation.to, operation.from);
        return;
      }
      case 'isolate':
        for (const other of new Set(present)) {
          if (other === operation.node) continue;
          this.cut(operation.node, other);
          this.cut(other, operation.node);
        }
        return;
      case 'split': {
        if (operation.storage === undefined) {
          this.split(operation.groups, present, undefined);
          return;
        }
        let placed: ReturnType<typeof placeStorage>;
        try {
          placed = placeStorage(operation.groups, operation.storage);
        } catch (error) {
          throw new LinkOperationError((error as Error).message);
        }
        this.split(placed.groups, present, placed.bridge);
        return;
      }
      case 'bridge':
        this.split(operation.groups, present, operation.node);
        return;
      case 'heal-all':
        this.cuts.clear();
        return;
      default:
        throw new LinkOperationError(`unknown link operation ${String((operation as { op?: unknown }).op)}`);
    }
  }

  private cut(from: string, to: string): void {
    const k = key(from, to);
    if (this.cuts.has(k)) return;
    this.cuts.add(k);
    this.generations.set(k, (this.generations.get(k) ?? 0) + 1);
  }

  private heal(from: string, to: string): void {
    this.cuts.delete(key(from, to));
  }

  /**
   * Links inside a group up, links between groups cut; with a bridge node, the bridge is linked to
   * everyone. Every present node must be placed (in a group or as the bridge): leaving one out would
   * silently keep it connected to both sides, which is a bridge nobody asked for.
   */
  private split(
    groups: readonly (readonly string[])[],
    present: readonly string[],
    bridge: string | undefined,
  ): void {
    if (groups.length < 2) throw new LinkOperationError('split needs at least two groups');
    const groupOf = new Map<string, number>();
    groups.forEach((group, index) => {
      if (group.length === 0) throw new LinkOperationError('a group must not be empty');
      for (const node of group) {
        if (node === bridge) throw new LinkOperationError(`the bridge ${node} must not be in a group`);
        if (groupOf.has(node)) throw new LinkOperationError(`node ${node} is in two groups`);
        groupOf.set(node, index);
      }
    });
    // The checkout authority goes with the first group unless placed: a split always leaves some windows
    // able to check out, and the others show that checkout needs it.
    if (
      present.includes(AUTHORITY_NODE_ID) &&
      !groupOf.has(AUTHORITY_NODE_ID) &&
      bridge !== AUTHORITY_NODE_ID
    )
      groupOf.set(AUTHORITY_NODE_ID, 0);
    const missing = present.filter((node) => !groupOf.has(node) && node !== bridge);
    if (missing.length > 0) {
      const storageHint = missing.includes(STORAGE_NODE_ID)
        ? ' (say where the storage peer goes: "storage": "alone" | "everywhere" | "with-<node id>")'
        : '';
      throw new LinkOperationError(
        `every node in the room must be placed; missing: ${missing.join(', ')}${storageHint}`,
      );
    }
    const nodes = [...groupOf.keys()];
    for (const a of nodes) {
      for (const b of nodes) {
        if (a === b) continue;
        if (groupOf.get(a) === groupOf.get(b)) this.heal(a, b);
        else this.cut(a, b);
      }
      if (bridge !== undefined) {
        this.heal(a, bridge);
        this.heal(bridge, a);
      }
    }
  }
}

import {
  AUTHORITY_NODE_ID,
  idProblem,
  placeStorage,
  STORAGE_NODE_ID,
  type StoragePlacement,
  storageCompanion,
  storagePlacementProblem,
} from '@converge/protocol';
