import type { Engine, EngineDoc } from './engines/types.ts';
import { checkMerge } from './synthetic.ts';
import type { ConcurrentWorkload, SequentialWorkload, Workload } from './workload.ts';

/**
 * The measurements a worker process makes, each on a fresh heap. Text is always checked: a wrong
 * result throws (the runner reports it as a failure), it never becomes a number.
 */

export interface ReplayFigures {
  replayMs: number;
  updateBytes: number;
  docBytes: number;
  encodeMs: number;
  mergeMs?: number;
}

export interface ReplayOutcome {
  figures: ReplayFigures;
  /** The encoded final document and its text, for the parse measurement. */
  doc: Uint8Array;
  text: string;
}

export class ResultMismatch extends Error {
  override readonly name = 'ResultMismatch';
}

/** The engine cannot run this workload at all (the gap buffer cannot merge concurrent edits). */
export class NotApplicable extends Error {
  override readonly name = 'NotApplicable';
}

type Gc = () => void;
function collect(): void {
  const gc = (globalThis as { gc?: Gc }).gc;
  if (gc === undefined) throw new Error('run workers with --expose-gc');
  gc();
  gc();
}

function describeMismatch(actual: string, expected: string): string {
  let at = 0;
  while (at < actual.length && actual[at] === expected[at]) at++;
  return `text differs from the expected result at index ${at} (lengths ${actual.length} and ${expected.length})`;
}

export function measureReplay(engine: Engine, workload: Workload): ReplayOutcome {
  if (workload.kind === 'concurrent' && !engine.merges) {
    throw new NotApplicable(`${engine.name} cannot merge the concurrent workload ${workload.name}`);
  }
  return workload.kind === 'sequential'
    ? replaySequential(engine, workload)
    : replayConcurrent(engine, workload);
}

function replaySequential(engine: Engine, workload: SequentialWorkload): ReplayOutcome {
  // Plain arrays prepared before timing, so the loop measures the engine, not the trace format.
  const count = workload.patches.length;
  const positions = new Int32Array(count);
  const deletes = new Int32Array(count);
  const inserts: string[] = new Array(count);
  workload.patches.forEach(([position, deleted, inserted], i) => {
    positions[i] = position;
    deletes[i] = deleted;
    inserts[i] = inserted;
  });
  collect();
  const start = performance.now();
  const doc = engine.create(0);
  let updateBytes = 0;
  for (let i = 0; i < count; i++) {
    updateBytes += doc.edit(positions[i] as number, deletes[i] as number, inserts[i] as string).length;
  }
  const replayMs = performance.now() - start;
  const text = doc.text();
  if (text !== workload.endContent) throw new ResultMismatch(describeMismatch(text, workload.endContent));
  const encodeStart = performance.now();
  const bytes = doc.encode();
  const encodeMs = performance.now() - encodeStart;
  return { figures: { replayMs, updateBytes, docBytes: bytes.length, encodeMs }, doc: bytes, text };
}

/**
 * One replica per agent; each transaction runs on its agent's replica once that replica has
 * applied exactly its parents' history (delivered as update bytes, in trace order). Then a fresh
 * replica merges every agent's changes (merge time), and its text is checked.
 */
function replayConcurrent(engine: Engine, workload: ConcurrentWorkload): ReplayOutcome {
  const txns = workload.txns;
  collect();
  const start = performance.now();
  const docs: EngineDoc[] = [];
  const applied: Uint8Array[] = [];
  for (let a = 0; a < workload.agents; a++) {
    docs.push(engine.create(a));
    applied.push(new Uint8Array(txns.length));
  }
  const updates: Uint8Array[] = [];
  let updateBytes = 0;
  const missing: number[] = [];
  const stack: number[] = [];
  for (let t = 0; t < txns.length; t++) {
    const txn = txns[t] as (typeof txns)[number];
    const doc = docs[txn.agent] as EngineDoc;
    const done = applied[txn.agent] as Uint8Array;
    // Everything in the parents' history this replica lacks, applied in trace (= causal) order.
    for (const parent of txn.parents) {
      if (done[parent] === 0) {
        done[parent] = 2;
        stack.push(parent);
      }
    }
    while (stack.length > 0) {
      const u = stack.pop() as number;
      missing.push(u);
      for (const parent of (txns[u] as (typeof txns)[number]).parents) {
        if (done[parent] === 0) {
          done[parent] = 2;
          stack.push(parent);
        }
      }
    }
    if (missing.length > 0) {
      missing.sort((x, y) => x - y);
      for (const u of missing) {
        doc.applyUpdate(updates[u] as Uint8Array);
        done[u] = 1;
      }
      missing.length = 0;
    }
    const update = doc.transact(txn.patches);
    updates.push(update);
    updateBytes += update.length;
    done[t] = 1;
  }
  const replayMs = performance.now() - start;

  const inputs = engine.mergeInputs(docs, updates);
  collect();
  const mergeStart = performance.now();
  const merged = engine.merge(inputs);
  const text = merged.text();
  const mergeMs = performance.now() - mergeStart;
  if (workload.endContent !== null) {
    if (text !== workload.endContent) throw new ResultMismatch(describeMismatch(text, workload.endContent));
  } else if (workload.agentTexts !== null) {
    const problem = checkMerge(text, workload.agentTexts);
    if (problem !== null) throw new ResultMismatch(problem);
  } else throw new Error(`workload ${workload.name} has nothing to check the merge against`);

  const encodeStart = performance.now();
  const bytes = merged.encode();
  const encodeMs = performance.now() - encodeStart;
  return { figures: { replayMs, updateBytes, docBytes: bytes.length, encodeMs, mergeMs }, doc: bytes, text };
}

export interface ParseFigures {
  parseMs: number;
  memBytes: number;
}

/** Decode `bytes` into a fresh document, read its text (checked), and measure what it holds. */
export function measureParse(engine: Engine, bytes: Uint8Array, expected: string): ParseFigures {
  collect();
  const before = process.memoryUsage();
  const start = performance.now();
  const doc = engine.parse(bytes);
  let text: string | null = doc.text();
  const parseMs = performance.now() - start;
  if (text !== expected) throw new ResultMismatch(`parsed ${describeMismatch(text, expected)}`);
  // Count what the document holds, not the string we read from it.
  text = null;
  collect();
  const after = process.memoryUsage();
  const memBytes = after.heapUsed - before.heapUsed + (after.external - before.external);
  // Keep the document reachable until after the measurement.
  if (doc.text().length !== expected.length) throw new Error('document changed while measuring');
  return { parseMs, memBytes };
}
