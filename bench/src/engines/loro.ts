import { LoroDoc, type LoroText, type VersionVector } from 'loro-crdt';
import type { Patch } from '../workload.ts';
import type { Engine, EngineDoc } from './types.ts';

class LoroEngineDoc implements EngineDoc {
  private readonly ltext: LoroText;
  private version: VersionVector;

  constructor(private readonly doc: LoroDoc) {
    this.ltext = doc.getText('text');
    this.version = doc.oplogVersion();
  }

  private commit(): Uint8Array {
    this.doc.commit();
    const update = this.doc.export({ mode: 'update', from: this.version });
    this.version = this.doc.oplogVersion();
    return update;
  }

  edit(position: number, deleted: number, inserted: string): Uint8Array {
    if (deleted > 0) this.ltext.delete(position, deleted);
    if (inserted !== '') this.ltext.insert(position, inserted);
    return this.commit();
  }

  transact(patches: readonly Patch[]): Uint8Array {
    for (const [position, deleted, inserted] of patches) {
      if (deleted > 0) this.ltext.delete(position, deleted);
      if (inserted !== '') this.ltext.insert(position, inserted);
    }
    return this.commit();
  }

  applyUpdate(update: Uint8Array): void {
    this.doc.import(update);
    this.version = this.doc.oplogVersion();
  }

  text(): string {
    return this.ltext.toString();
  }

  encode(): Uint8Array {
    return this.doc.export({ mode: 'snapshot' });
  }
}

function fresh(agent: number): LoroDoc {
  const doc = new LoroDoc();
  doc.setPeerId(agent + 1);
  return doc;
}

export const loroEngine: Engine = {
  name: 'loro',
  merges: true,
  create: (agent) => new LoroEngineDoc(fresh(agent)),
  parse: (bytes) => new LoroEngineDoc(LoroDoc.fromSnapshot(bytes)),
  mergeInputs: (docs) => docs.map((d) => d.encode()),
  merge: (inputs) => {
    const doc = fresh(1_000_000);
    for (const input of inputs) doc.import(input);
    return new LoroEngineDoc(doc);
  },
};
