/**
 * Workloads: what the benchmark replays. Sequential ones are one editor's patches; concurrent ones
 * are transactions by several agents with a causal graph, in the format of josephg/editing-traces'
 * concurrent traces (see ../shared/traces/README.md).
 */

/** [position, number deleted, text inserted], Array.prototype.splice semantics. */
export type Patch = readonly [position: number, deleted: number, inserted: string];

export interface SequentialWorkload {
  readonly kind: 'sequential';
  readonly name: string;
  readonly patches: readonly Patch[];
  readonly endContent: string;
}

export interface ConcurrentTxn {
  /** Indexes of earlier transactions whose merged state this one edits ([] = the empty document). */
  readonly parents: readonly number[];
  readonly agent: number;
  /** Applied in sequence against the parents' merged state, as one transaction. */
  readonly patches: readonly Patch[];
}

export interface ConcurrentWorkload {
  readonly kind: 'concurrent';
  readonly name: string;
  readonly agents: number;
  readonly txns: readonly ConcurrentTxn[];
  /**
   * The merged text when every CRDT must produce the same one (the trace says so). Synthetic
   * workloads with concurrent inserts at the same spot leave it null: the order of those inserts is
   * each CRDT's own choice, so the check is that the merge holds each agent's text as a subsequence.
   */
  readonly endContent: string | null;
  /** Each agent's own final text, for that check (only when agents never see each other's edits). */
  readonly agentTexts: readonly string[] | null;
}

export type Workload = SequentialWorkload | ConcurrentWorkload;

/** How a workload is named on the command line and found again in a worker process. */
export type WorkloadSource =
  | { readonly type: 'trace'; readonly name: string; readonly file: string }
  | { readonly type: 'synthetic'; readonly name: string; readonly size: number; readonly seed: number };

/** Apply one patch to a plain string (the reference semantics). */
export function applyPatch(text: string, [position, deleted, inserted]: Patch): string {
  return text.slice(0, position) + inserted + text.slice(position + deleted);
}

/** True when `sub`'s characters appear in `text` in order (not necessarily adjacent). */
export function isSubsequence(sub: string, text: string): boolean {
  let at = 0;
  for (let i = 0; i < text.length && at < sub.length; i++) if (text[i] === sub[at]) at++;
  return at === sub.length;
}
