import type { EngineName } from './engines/types.ts';

/** The figures of one measurement run (one worker pair), or of the median of several. */
export interface Figures {
  /** Replaying every patch as its own transaction with its update captured (concurrent: whole replay). */
  replayMs: number;
  /** Total bytes of those updates. */
  updateBytes: number;
  /** Bytes of the encoded final document. */
  docBytes: number;
  encodeMs: number;
  /** Decoding the document into a fresh one and reading its text. */
  parseMs: number;
  /** Heap plus external (ArrayBuffer/WASM) growth held by the parsed document, after GC. */
  memBytes: number;
  /** Concurrent workloads: a fresh replica merging every agent's changes and reading the text. */
  mergeMs?: number;
}

export const FIGURE_KEYS = [
  'replayMs',
  'updateBytes',
  'docBytes',
  'encodeMs',
  'parseMs',
  'memBytes',
  'mergeMs',
] as const;
export type FigureKey = (typeof FIGURE_KEYS)[number];

/** One row of the --json output. */
export interface BenchResult extends Partial<Figures> {
  engine: EngineName;
  workload: string;
  ok: boolean;
  /** Why it failed (a text mismatch, a crash, a timeout); only when !ok. */
  error?: string;
  runs: number;
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of nothing');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/** Combine runs: any failure fails the result; otherwise each figure is the median over runs. */
export function combineRuns(
  engine: EngineName,
  workload: string,
  runs: readonly ({ ok: true; figures: Figures } | { ok: false; error: string })[],
): BenchResult {
  const failed = runs.find((run) => !run.ok);
  if (failed !== undefined && !failed.ok)
    return { engine, workload, ok: false, error: failed.error, runs: runs.length };
  const figures = runs.map((run) => (run as { figures: Figures }).figures);
  const result: BenchResult = { engine, workload, ok: true, runs: runs.length };
  for (const key of FIGURE_KEYS) {
    const values = figures.map((f) => f[key]).filter((v): v is number => v !== undefined);
    if (values.length === figures.length && values.length > 0) result[key] = median(values);
  }
  return result;
}
