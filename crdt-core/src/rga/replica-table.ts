import type { ReplicaId } from '../replica-id.ts';

/**
 * Replica ids of one encoded value, numbered in order of first use. Codecs write the table once
 * and refer to replicas by number. Small tables (the common single-op update) search an array;
 * larger ones switch to a Map.
 */
export class ReplicaTable {
  readonly ids: ReplicaId[] = [];
  private map: Map<ReplicaId, number> | null = null;

  indexOf(id: ReplicaId): number {
    if (this.map !== null) {
      const found = this.map.get(id);
      if (found !== undefined) return found;
    } else {
      const found = this.ids.indexOf(id);
      if (found >= 0) return found;
    }
    const index = this.ids.length;
    this.ids.push(id);
    if (this.map !== null) this.map.set(id, index);
    else if (index >= 8) this.map = new Map(this.ids.map((value, i) => [value, i]));
    return index;
  }
}
