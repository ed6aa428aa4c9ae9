// Replays the real editing histories in ../shared/traces (see the README there) and checks the
// exact final text. Skipped with a notice when the traces folder is absent.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decodeRgaOps, encodeRgaOps, Rga, type RgaOp, replicaId } from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';

const TRACES = resolve(import.meta.dirname, '../../../shared/traces');
const present = existsSync(TRACES);

type Patch = [position: number, deleted: number, inserted: string];
interface SequentialTrace {
  endContent: string;
  txns: { patches: Patch[] }[];
}
interface ConcurrentTrace {
  kind: 'concurrent';
  endContent: string;
  numAgents: number;
  txns: { parents: number[]; agent: number; patches: Patch[] }[];
}

const parsed = new Map<string, unknown>();
function load<T>(file: string): T {
  let trace = parsed.get(file);
  if (trace === undefined) {
    trace = JSON.parse(gunzipSync(readFileSync(join(TRACES, file))).toString('utf8'));
    parsed.set(file, trace);
  }
  return trace as T;
}

const files = present ? readdirSync(TRACES).filter((f) => f.endsWith('.json.gz')) : [];
// Concurrent traces say so in a `kind` field; the README lists friendsforever.json.gz as the one.
const sequential = files.filter((f) => f !== 'friendsforever.json.gz');

describe.skipIf(!present)('Rga replays real editing traces', () => {
  it.each(sequential)('%s replays to its endContent, and its snapshot too', (file) => {
    const trace = load<SequentialTrace & { kind?: string }>(file);
    expect(trace.kind).toBeUndefined();
    parsed.delete(file);
    const doc = new Rga(replicaId('trace'));
    for (const txn of trace.txns) {
      for (const [position, deleted, inserted] of txn.patches) {
        if (deleted > 0) doc.delete(position, deleted);
        if (inserted !== '') doc.insert(position, inserted);
      }
    }
    expect(doc.toString()).toBe(trace.endContent);
    doc.assertInvariants();
    const copy = Rga.decode(doc.encode(), replicaId('reader'));
    expect(copy.toString()).toBe(trace.endContent);
    copy.assertInvariants();
  });

  it('friendsforever (concurrent) replays to its endContent with one replica per agent', () => {
    const trace = load<ConcurrentTrace>('friendsforever.json.gz');
    const { docs, updates } = replayConcurrent(trace);
    for (const doc of docs) {
      // Bring every agent up to date with every transaction, then all must agree.
      for (let t = 0; t < updates.length; t++) catchUp(doc, t, trace, updates);
      expect(doc.toString()).toBe(trace.endContent);
      doc.assertInvariants();
    }
    // Merging the agents' states into a fresh document gives the same text.
    const merged = new Rga(replicaId('merged'));
    for (const doc of docs) expect(merged.applyAll(decodeRgaOps(encodeRgaOps(doc.delta())))).toEqual([]);
    expect(merged.toString()).toBe(trace.endContent);
  });
});

/** Which transactions each document has applied (by document). */
const applied = new WeakMap<Rga, Uint8Array>();

/**
 * Replay a concurrent trace: each transaction runs on its agent's replica after that replica has
 * applied exactly the transactions in its parents' history; the ops it produces are kept as bytes.
 */
function replayConcurrent(trace: ConcurrentTrace): { docs: Rga[]; updates: Uint8Array[] } {
  const docs: Rga[] = [];
  for (let a = 0; a < trace.numAgents; a++) {
    const doc = new Rga(replicaId(`agent-${a}`));
    applied.set(doc, new Uint8Array(trace.txns.length));
    docs.push(doc);
  }
  const updates: Uint8Array[] = [];
  trace.txns.forEach((txn, t) => {
    const doc = docs[txn.agent] as Rga;
    for (const parent of txn.parents) catchUp(doc, parent, trace, updates);
    const ops: RgaOp[] = [];
    for (const [position, deleted, inserted] of txn.patches) {
      if (deleted > 0) ops.push(doc.delete(position, deleted) as RgaOp);
      if (inserted !== '') ops.push(doc.insert(position, inserted) as RgaOp);
    }
    updates.push(encodeRgaOps(ops));
    (applied.get(doc) as Uint8Array)[t] = 1;
  });
  return { docs, updates };
}

/** Apply transaction `target` and everything it depends on that `doc` lacks, in trace order. */
function catchUp(doc: Rga, target: number, trace: ConcurrentTrace, updates: Uint8Array[]): void {
  const done = applied.get(doc) as Uint8Array;
  if (done[target]) return;
  const missing: number[] = [];
  const stack = [target];
  const queued = new Set<number>([target]);
  while (stack.length > 0) {
    const t = stack.pop() as number;
    missing.push(t);
    for (const parent of trace.txns[t]?.parents ?? []) {
      if (!done[parent] && !queued.has(parent)) {
        queued.add(parent);
        stack.push(parent);
      }
    }
  }
  missing.sort((x, y) => x - y);
  for (const t of missing) {
    for (const op of decodeRgaOps(updates[t] as Uint8Array)) {
      const result = doc.apply(op);
      if (result === 'missing-dependency') throw new Error(`transaction ${t} is not ready on ${doc.replica}`);
    }
    done[t] = 1;
  }
}
