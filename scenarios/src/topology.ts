/**
 * The runner's model of who should reach whom: the scenario's replicas and the storage peer, the last
 * partition (groups, the storage peer placed) and who is offline. `sync` waits until what the replicas
 * see matches it; both worlds apply the same layouts.
 */
import { type PlacedGroups, placeStorage, STORAGE_NODE_ID } from '@converge/protocol';
import { type PartitionStep, storagePlacementOf } from './scenario.ts';

/**
 * The full layout of a partition step: every replica in a group (those the step does not name alone,
 * as the simulation always did), and the storage peer placed as the step says.
 */
export function partitionLayout(step: PartitionStep, replicas: readonly string[]): PlacedGroups {
  const named = new Set(step.partition.flat());
  const groups = [...step.partition, ...replicas.filter((id) => !named.has(id)).map((id) => [id])];
  return placeStorage(groups, storagePlacementOf(step));
}

export class Topology {
  private layout: PlacedGroups | undefined;
  private readonly offline = new Set<string>();
  private readonly nodes: readonly string[];

  constructor(
    readonly replicas: readonly string[],
    /** Whether the world has a storage peer. */
    readonly storagePeer: boolean,
  ) {
    this.nodes = storagePeer ? [...replicas, STORAGE_NODE_ID] : [...replicas];
  }

  /** Every node the model knows (the replicas and the storage peer). */
  knows(node: string): boolean {
    return this.nodes.includes(node);
  }

  partition(layout: PlacedGroups): void {
    this.layout = layout;
  }

  heal(): void {
    this.layout = undefined;
  }

  setOffline(id: string, offline: boolean): void {
    if (offline) this.offline.add(id);
    else this.offline.delete(id);
  }

  isOffline(id: string): boolean {
    return this.offline.has(id);
  }

  reaches(a: string, b: string): boolean {
    if (a === b || this.offline.has(a) || this.offline.has(b)) return false;
    const layout = this.layout;
    if (layout === undefined || layout.bridge === a || layout.bridge === b) return true;
    return layout.groups.some((group) => group.includes(a) && group.includes(b));
  }

  /** The nodes `id` should have a link to now, sorted. */
  expectedPeers(id: string): string[] {
    return this.nodes.filter((other) => this.reaches(id, other)).sort();
  }

  /** Groups of nodes connected directly or through others (each offline node alone). */
  components(): string[][] {
    const seen = new Set<string>();
    const out: string[][] = [];
    for (const start of this.nodes) {
      if (seen.has(start)) continue;
      const component: string[] = [];
      const queue = [start];
      seen.add(start);
      for (let node = queue.shift(); node !== undefined; node = queue.shift()) {
        component.push(node);
        for (const next of this.nodes) {
          if (!seen.has(next) && this.reaches(node, next)) {
            seen.add(next);
            queue.push(next);
          }
        }
      }
      out.push(component.sort());
    }
    return out;
  }
}
