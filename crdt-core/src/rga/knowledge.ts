import type { CausalItem } from './causal-order.ts';

/**
 * What each insert knew of other replicas when it was made, as snapshots store it: per replica, a
 * list of segments of its counters, each with the highest counter of every other replica its
 * characters depend on (a version vector without its own entry). A replica's own earlier characters
 * are always known. Segments start where that knowledge grows; a replica that never saw another's
 * characters (every replica of a one-author document) has none.
 *
 * The encoder does not know what an insert really saw, only its origins; it stores the least
 * knowledge that holds them: each origin and, transitively, what the origin knew. That is enough
 * for origins.ts to find the origins again, and it is causally consistent by construction.
 */
export class Knowledge {
  constructor(
    /** Per replica: the first counter of each segment, ascending. */
    readonly starts: readonly Float64Array[],
    /**
     * Per replica and segment: other replicas' highest known counters, as (replica, counter)
     * pairs in one flat array; a replica not listed is known up to 0. Cumulative: a segment lists
     * everything known from its start on.
     */
    readonly known: readonly (readonly Float64Array[])[],
  ) {}

  /** Knowledge of nothing but their own characters, for `replicaCount` replicas. */
  static none(replicaCount: number): Knowledge {
    const starts: Float64Array[] = [];
    const known: Float64Array[][] = [];
    for (let r = 0; r < replicaCount; r++) {
      starts.push(EMPTY);
      known.push([]);
    }
    return new Knowledge(starts, known);
  }

  /** Whether any character knows of another replica's (else origins follow from counters alone). */
  get isEmpty(): boolean {
    return this.starts.every((s) => s.length === 0);
  }

  /** The index of the segment holding `counter` of `replica`, -1 before the first. */
  segmentOf(replica: number, counter: number): number {
    const starts = this.starts[replica] as Float64Array;
    let lo = 0;
    let hi = starts.length - 1;
    if (hi < 0 || (starts[0] as number) > counter) return -1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] as number) <= counter) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  }

  /** The (replica, counter) pairs character `counter` of `replica` knows of others; EMPTY for none. */
  at(replica: number, counter: number): Float64Array {
    const k = this.segmentOf(replica, counter);
    return k < 0 ? EMPTY : ((this.known[replica] as Float64Array[])[k] as Float64Array);
  }

  /** Highest counter of `other` that character `counter` of `replica` knows (other ≠ replica). */
  knows(replica: number, counter: number, other: number): number {
    const pairs = this.at(replica, counter);
    for (let i = 0; i < pairs.length; i += 2) if (pairs[i] === other) return pairs[i + 1] as number;
    return 0;
  }
}

const EMPTY = new Float64Array(0);

/**
 * Whether the segments could have been made in some order (Kahn's algorithm): a segment comes after
 * its replica's previous one and after the segment holding each counter it knows. Edges in flat
 * typed arrays (by target node, then turned around), no closures: this runs cold on every decode.
 */
// biome-ignore format: the parentheses make V8 compile it with the module (a cold decode path)
export const acyclic = (function acyclic(knowledge: Knowledge): boolean {
  // Node ids: per replica, the stretch before its first segment (node base) and then its segments.
  const replicas = knowledge.starts.length;
  const base = new Int32Array(replicas + 1);
  let edges = 0;
  for (let r = 0; r < replicas; r++) {
    const segments = (knowledge.starts[r] as Float64Array).length;
    base[r + 1] = (base[r] as number) + segments + 1;
    const known = knowledge.known[r] as Float64Array[];
    for (let k = 0; k < segments; k++) edges += 1 + ((known[k] as Float64Array).length >> 1);
  }
  const nodes = base[replicas] as number;
  // Edge e runs from[e] -> to[e] (to waits for from).
  const from = new Int32Array(edges);
  const to = new Int32Array(edges);
  const waiting = new Int32Array(nodes);
  const outCount = new Int32Array(nodes + 1);
  let e = 0;
  for (let r = 0; r < replicas; r++) {
    const segments = (knowledge.starts[r] as Float64Array).length;
    const known = knowledge.known[r] as Float64Array[];
    for (let k = 0; k < segments; k++) {
      const node = (base[r] as number) + k + 1;
      from[e] = node - 1;
      to[e++] = node;
      const pairs = known[k] as Float64Array;
      for (let i = 0; i < pairs.length; i += 2) {
        const q = pairs[i] as number;
        from[e] = (base[q] as number) + knowledge.segmentOf(q, pairs[i + 1] as number) + 1;
        to[e++] = node;
      }
      waiting[node] = 1 + (pairs.length >> 1);
    }
  }
  // Each node's outgoing edges, grouped (counting sort by source).
  for (let i = 0; i < edges; i++)
    outCount[(from[i] as number) + 1] = (outCount[(from[i] as number) + 1] as number) + 1;
  for (let v = 0; v < nodes; v++) outCount[v + 1] = (outCount[v + 1] as number) + (outCount[v] as number);
  const fill = outCount.slice(0, nodes);
  const targets = new Int32Array(edges);
  for (let i = 0; i < edges; i++) {
    const v = from[i] as number;
    targets[fill[v] as number] = to[i] as number;
    fill[v] = (fill[v] as number) + 1;
  }
  const ready = new Int32Array(nodes);
  let top = 0;
  for (let v = 0; v < nodes; v++) if (waiting[v] === 0) ready[top++] = v;
  let done = 0;
  while (top > 0) {
    const v = ready[--top] as number;
    done++;
    for (let i = outCount[v] as number; i < (outCount[v + 1] as number); i++) {
      const w = targets[i] as number;
      waiting[w] = (waiting[w] as number) - 1;
      if (waiting[w] === 0) ready[top++] = w;
    }
  }
  return done === nodes;
});

/** A span as the knowledge computation sees it: its replica, ids and origins (NONE = -1 for none). */
export interface SpanOrigins extends CausalItem {
  readonly replica: number;
}

/**
 * The least knowledge that holds every span's origins, from the spans in an order they could have
 * been inserted in (each after its origins; each replica's in counter order).
 */
export function computeKnowledge(ordered: readonly SpanOrigins[], replicaCount: number): Knowledge {
  const starts: number[][] = [];
  const known: Float64Array[][] = [];
  const current: Float64Array[] = [];
  for (let r = 0; r < replicaCount; r++) {
    starts.push([]);
    known.push([]);
    current.push(new Float64Array(replicaCount));
  }
  const lookup = (replica: number, counter: number): Float64Array | null => {
    const list = starts[replica] as number[];
    let found = -1;
    for (let lo = 0, hi = list.length - 1; lo <= hi; ) {
      const mid = (lo + hi) >> 1;
      if ((list[mid] as number) <= counter) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? null : ((known[replica] as Float64Array[])[found] as Float64Array);
  };
  for (const span of ordered) {
    const r = span.replica;
    const mine = current[r] as Float64Array;
    let grew = false;
    for (let side = 0; side < 2; side++) {
      const q = side === 0 ? span.leftReplica : span.rightReplica;
      const c = side === 0 ? span.leftCounter : span.rightCounter;
      if (q < 0 || q === r || (mine[q] as number) >= c) continue;
      // Everything the origin knew (its segment's pairs), and the origin itself.
      const pairs = lookup(q, c);
      if (pairs !== null) {
        for (let i = 0; i < pairs.length; i += 2) {
          const other = pairs[i] as number;
          if (other !== r && (mine[other] as number) < (pairs[i + 1] as number))
            mine[other] = pairs[i + 1] as number;
        }
      }
      mine[q] = c;
      grew = true;
    }
    if (!grew) continue;
    const pairs: number[] = [];
    for (let q = 0; q < replicaCount; q++) if ((mine[q] as number) > 0) pairs.push(q, mine[q] as number);
    (starts[r] as number[]).push(span.counter);
    (known[r] as Float64Array[]).push(Float64Array.from(pairs));
  }
  return new Knowledge(
    starts.map((list) => Float64Array.from(list)),
    known,
  );
}
