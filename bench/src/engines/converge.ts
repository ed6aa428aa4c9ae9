import { decodeRgaOps, encodeRgaOps, Rga, type RgaOp, replicaId } from '@converge/crdt-core';
import type { Patch } from '../workload.ts';
import type { Engine, EngineDoc } from './types.ts';

/** Our RGA: each transaction's ops encoded as one RgaUpdate. */
class ConvergeDoc implements EngineDoc {
  constructor(readonly doc: Rga) {}

  // The op-free splice (`Rga.editUpdate`): a keystroke's or a backspace's update without op objects,
  // as a live editor sends them; the same bytes as encoding the ops `delete`/`insert` return.
  edit(position: number, deleted: number, inserted: string): Uint8Array {
    return this.doc.editUpdate(position, deleted, inserted) ?? encodeRgaOps([]);
  }

  transact(patches: readonly Patch[]): Uint8Array {
    const ops: RgaOp[] = [];
    for (const [position, deleted, inserted] of patches) {
      if (deleted > 0) ops.push(this.doc.delete(position, deleted) as RgaOp);
      if (inserted !== '') ops.push(this.doc.insert(position, inserted) as RgaOp);
    }
    return encodeRgaOps(ops);
  }

  applyUpdate(update: Uint8Array): void {
    for (const op of decodeRgaOps(update)) {
      if (this.doc.apply(op) === 'missing-dependency')
        throw new Error('converge: update delivered before its dependencies');
    }
  }

  text(): string {
    return this.doc.toString();
  }

  encode(): Uint8Array {
    return this.doc.encode();
  }
}

/** Replica ids like the app's: short random-looking strings (fixed here for repeatability). */
function replicaFor(agent: number): string {
  return `r${(0x5eed + agent * 7919).toString(36)}-${agent}`;
}

export const convergeEngine: Engine = {
  name: 'converge',
  merges: true,
  create: (agent) => new ConvergeDoc(new Rga(replicaId(replicaFor(agent)))),
  parse: (bytes) => new ConvergeDoc(Rga.decode(bytes, replicaId('reader'))),
  // State-based merge, as WorkspaceDocument.mergeState does: each agent's whole document; the first is
  // adopted, each further one merged in (`Rga.merge`: the operations it holds that the merge lacks).
  mergeInputs: (docs) => docs.map((d) => (d as ConvergeDoc).doc.encode()),
  merge: (inputs) => {
    let doc: Rga | undefined;
    for (const input of inputs) {
      const other = Rga.decode(input, replicaId('merger'));
      // `merge` throws when it leaves ops unapplied.
      if (doc === undefined) doc = other;
      else doc.merge(other);
    }
    return new ConvergeDoc(doc ?? new Rga(replicaId('merger')));
  },
};
