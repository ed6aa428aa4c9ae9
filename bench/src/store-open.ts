/**
 * How long a window waits for its text after a restart: the converge engine's state after a whole
 * editing trace, opened from the file store (read, checksums verified, records decoded, state
 * restored, text read), against Yjs parsing its own encoded document of the same trace (bytes
 * already in memory: the comparison is tilted towards Yjs). The persistence issue's target is ≤ 2×.
 *
 * The store holds what compaction leaves behind: one snapshot of the engine (`Engine.save`).
 */
import { replicaId } from '@converge/crdt-core';
import { ENGINES, WORKSPACE } from '@converge/replica';
import { seal } from '@converge/replica/engine-kit';
import { EnvelopeKind, WorkspaceDocument } from '@converge/replica/engines/converge';
import { FileStore } from '@converge/replica/node';
import type { Workload } from './workload.ts';

/** The replica id the stored state belongs to (any id; fixed for repeatability). */
const STORE_REPLICA = 'bench-store';

/** Replay a sequential workload into the converge engine's document and compact it into a file store in `dir`. */
export async function writeConvergeStore(workload: Workload, dir: string): Promise<void> {
  if (workload.kind !== 'sequential')
    throw new Error(`${workload.name}: the store benchmark needs a sequential trace`);
  const doc = new WorkspaceDocument(WORKSPACE, replicaId(STORE_REPLICA));
  for (const [pos, deleted, inserted] of workload.patches) {
    if (deleted > 0) doc.edit({ kind: 'text', field: 'text', action: 'delete', pos, len: deleted });
    if (inserted !== '') doc.edit({ kind: 'text', field: 'text', action: 'insert', pos, text: inserted });
  }
  if (doc.textContent('text') !== workload.endContent)
    throw new Error(`${workload.name}: replay does not match endContent`);
  const store = new FileStore(dir);
  try {
    await store.load();
    await store.compact({
      // What ConvergeEngine.save() writes: the document's state in the checksummed envelope.
      engines: { converge: seal(EnvelopeKind.ConvergeState, doc.encodeState({ forStore: true })) },
      metadata: { replicaId: STORE_REPLICA, skewMs: 0 },
    });
  } finally {
    await store.close();
  }
}

/** Open the file store in `dir` into a fresh converge engine and read its text; checked against `expected`. */
export async function openConvergeStore(dir: string, expected: string): Promise<{ openMs: number }> {
  const start = performance.now();
  const store = new FileStore(dir);
  const stored = await store.load();
  const engine = ENGINES.create('converge', { replicaId: STORE_REPLICA, now: () => 0 });
  let text: string;
  let openMs: number;
  try {
    const snapshot = stored.snapshots.converge;
    if (snapshot === undefined) throw new Error(`no converge snapshot in ${dir}`);
    engine.applyUpdate(snapshot);
    for (const update of stored.updates) if (update.engine === 'converge') engine.applyUpdate(update.update);
    text = engine.view().text;
    openMs = performance.now() - start;
  } finally {
    engine.close();
    await store.close();
  }
  if (stored.damage.length > 0) throw new Error(`store damaged: ${stored.damage.join('; ')}`);
  if (text !== expected) throw new Error('text opened from the store differs from the trace endContent');
  return { openMs };
}
