import { CausalContext } from './causal-context.ts';
import { type Dot, dotKey, sameDot } from './replica-id.ts';

/** One live event: its dot and what it carries (a set element, a cart increment, a register value). */
export interface DotEntry<P> {
  readonly dot: Dot;
  readonly payload: P;
}

/** How a dot store groups and orders its payloads. */
export interface DotPolicy<P> {
  /** The group of an entry: the element of a set, the product of a cart line. */
  group(payload: P): string;
  /**
   * A total order on payloads (compared as strings). Only used when the same dot arrives with two
   * different payloads, which an honest writer never does, so that even then merges commute.
   */
  rank(payload: P): string;
}

/**
 * Called during a join with the groups whose entries it changed, before the causal context is
 * updated; throwing rolls the entries back, leaving the store as it was. (The cart uses it to refuse
 * quantities outside the safe range.)
 */
export type JoinCheck = (touchedGroups: ReadonlySet<string>) => void;

/**
 * A causal dot store: live entries keyed by dot, plus the causal context of every dot ever seen.
 *
 * The join of two stores keeps an entry iff both have it, or one has it and the other has not seen
 * its dot; an entry whose dot the other side has seen but no longer holds was removed there. That
 * one rule gives add-wins sets, reset-remove maps and multi-value registers, with no tombstones.
 * Ops are small deltas (at most one new entry plus the dots it supersedes) joined by the same rule,
 * so applying one twice, late, or after a state that already contains it changes nothing.
 *
 * MUTABLE; entries are indexed by group for the embedding type's queries.
 */
export class DotStore<P> {
  private readonly byDot = new Map<string, DotEntry<P>>();
  private readonly byGroup = new Map<string, Map<string, DotEntry<P>>>();
  private ctx = new CausalContext();

  constructor(private readonly policy: DotPolicy<P>) {}

  get context(): CausalContext {
    return this.ctx;
  }

  get size(): number {
    return this.byDot.size;
  }

  get(dot: Dot): DotEntry<P> | undefined {
    return this.byDot.get(dotKey(dot));
  }

  /** The live entries of one group (empty if none). */
  group(key: string): DotEntry<P>[] {
    return [...(this.byGroup.get(key)?.values() ?? [])];
  }

  groupKeys(): string[] {
    return [...this.byGroup.keys()];
  }

  entries(): IterableIterator<DotEntry<P>> {
    return this.byDot.values();
  }

  /**
   * Join a delta: at most one new entry, and the dots it has seen (`seen` must include the entry's
   * dot, or for a delta without entry the dot of the event). Returns whether anything changed.
   */
  joinDelta(entry: DotEntry<P> | undefined, seen: readonly Dot[], check?: JoinCheck): boolean {
    const removed: DotEntry<P>[] = [];
    const inserted: DotEntry<P>[] = [];
    for (const dot of seen) {
      if (entry && sameDot(dot, entry.dot)) continue;
      const mine = this.get(dot);
      if (mine) this.take(mine, removed);
    }
    if (entry) this.joinEntry(entry, removed, inserted);
    if (check) this.settle(removed, inserted, check);
    let grew = false;
    for (const dot of seen) grew = this.ctx.add(dot) || grew;
    return grew || removed.length > 0 || inserted.length > 0;
  }

  /** Join another store's state into this one. Returns whether anything changed. */
  join(other: DotStore<P>, check?: JoinCheck): boolean {
    const removed: DotEntry<P>[] = [];
    const inserted: DotEntry<P>[] = [];
    for (const [key, mine] of [...this.byDot]) {
      if (!other.byDot.has(key) && other.ctx.has(mine.dot)) this.take(mine, removed);
    }
    for (const theirs of other.byDot.values()) this.joinEntry(theirs, removed, inserted);
    if (check) this.settle(removed, inserted, check);
    const grew = this.ctx.merge(other.ctx);
    return grew || removed.length > 0 || inserted.length > 0;
  }

  /** Add an entry while building a store (decoders); its dot must be fresh in this store. */
  insert(entry: DotEntry<P>): void {
    if (this.byDot.has(dotKey(entry.dot))) throw new RangeError(`dot ${dotKey(entry.dot)} is used twice`);
    this.put(entry);
  }

  /** Replace the causal context while building a store (decoders). */
  setContext(context: CausalContext): void {
    this.ctx = context;
  }

  clone(): DotStore<P> {
    const copy = new DotStore(this.policy);
    for (const entry of this.byDot.values()) copy.put(entry);
    copy.ctx = this.ctx.clone();
    return copy;
  }

  /** An entry from a state whose context holds its dot: keep it unless we saw (and dropped) that dot. */
  private joinEntry(entry: DotEntry<P>, removed: DotEntry<P>[], inserted: DotEntry<P>[]): void {
    const mine = this.get(entry.dot);
    if (mine) {
      if (
        mine.payload === entry.payload ||
        this.policy.rank(entry.payload) >= this.policy.rank(mine.payload)
      ) {
        return;
      }
      this.take(mine, removed);
    } else if (this.ctx.has(entry.dot)) {
      return;
    }
    this.put(entry);
    inserted.push(entry);
  }

  /** Run the check on the entries changed so far; on failure put them back (the context is untouched yet). */
  private settle(removed: readonly DotEntry<P>[], inserted: readonly DotEntry<P>[], check: JoinCheck): void {
    const touched = new Set([...removed, ...inserted].map((entry) => this.policy.group(entry.payload)));
    try {
      check(touched);
    } catch (error) {
      for (const entry of inserted) this.drop(entry);
      for (const entry of removed) this.put(entry);
      throw error;
    }
  }

  private take(entry: DotEntry<P>, removed: DotEntry<P>[]): void {
    this.drop(entry);
    removed.push(entry);
  }

  private put(entry: DotEntry<P>): void {
    const key = dotKey(entry.dot);
    this.byDot.set(key, entry);
    const groupKey = this.policy.group(entry.payload);
    const group = this.byGroup.get(groupKey);
    if (group) group.set(key, entry);
    else this.byGroup.set(groupKey, new Map([[key, entry]]));
  }

  private drop(entry: DotEntry<P>): void {
    const key = dotKey(entry.dot);
    this.byDot.delete(key);
    const groupKey = this.policy.group(entry.payload);
    const group = this.byGroup.get(groupKey);
    group?.delete(key);
    if (group?.size === 0) this.byGroup.delete(groupKey);
  }
}
