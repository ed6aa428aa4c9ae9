import * as Y from 'yjs';
import type { Patch } from '../workload.ts';
import type { Engine, EngineDoc } from './types.ts';

class YjsDoc implements EngineDoc {
  private readonly ytext: Y.Text;
  private last: Uint8Array = new Uint8Array(0);

  constructor(readonly doc: Y.Doc) {
    this.ytext = doc.getText('text');
    doc.on('update', (update: Uint8Array, origin: unknown) => {
      if (origin !== 'remote') this.last = update;
    });
  }

  edit(position: number, deleted: number, inserted: string): Uint8Array {
    const text = this.ytext;
    this.last = new Uint8Array(0);
    this.doc.transact(() => {
      if (deleted > 0) text.delete(position, deleted);
      if (inserted !== '') text.insert(position, inserted);
    });
    return this.last;
  }

  transact(patches: readonly Patch[]): Uint8Array {
    const text = this.ytext;
    this.last = new Uint8Array(0);
    this.doc.transact(() => {
      for (const [position, deleted, inserted] of patches) {
        if (deleted > 0) text.delete(position, deleted);
        if (inserted !== '') text.insert(position, inserted);
      }
    });
    return this.last;
  }

  applyUpdate(update: Uint8Array): void {
    Y.applyUpdate(this.doc, update, 'remote');
  }

  text(): string {
    return this.ytext.toString();
  }

  encode(): Uint8Array {
    return Y.encodeStateAsUpdate(this.doc);
  }
}

function fresh(agent: number): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = agent + 1; // fixed, so runs are repeatable
  return doc;
}

export const yjsEngine: Engine = {
  name: 'yjs',
  create: (agent) => new YjsDoc(fresh(agent)),
  parse: (bytes) => {
    const doc = fresh(1_000_000);
    Y.applyUpdate(doc, bytes);
    return new YjsDoc(doc);
  },
  mergeInputs: (docs) => docs.map((d) => d.encode()),
  merge: (inputs) => {
    const doc = fresh(1_000_001);
    for (const input of inputs) Y.applyUpdate(doc, input);
    return new YjsDoc(doc);
  },
};
