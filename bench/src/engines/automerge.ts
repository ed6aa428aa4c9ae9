import * as A from '@automerge/automerge';
import type { Patch } from '../workload.ts';
import type { Engine, EngineDoc } from './types.ts';

type Shape = { text: string };

/** The shared starting document: one change by a fixed actor creating the text field. */
let base: Uint8Array | null = null;
function baseDoc(): Uint8Array {
  if (base === null) base = A.save(A.from<Shape>({ text: '' }, { actor: '00' }));
  return base;
}

function actor(agent: number): string {
  return (agent + 1).toString(16).padStart(2, '0').repeat(8);
}

class AutomergeDoc implements EngineDoc {
  constructor(private doc: A.Doc<Shape>) {}

  edit(position: number, deleted: number, inserted: string): Uint8Array {
    this.doc = A.change(this.doc, (d) => A.splice(d, ['text'], position, deleted, inserted));
    return A.getLastLocalChange(this.doc) ?? new Uint8Array(0);
  }

  transact(patches: readonly Patch[]): Uint8Array {
    this.doc = A.change(this.doc, (d) => {
      for (const [position, deleted, inserted] of patches) A.splice(d, ['text'], position, deleted, inserted);
    });
    return A.getLastLocalChange(this.doc) ?? new Uint8Array(0);
  }

  applyUpdate(update: Uint8Array): void {
    [this.doc] = A.applyChanges(this.doc, [update]);
  }

  text(): string {
    return this.doc.text;
  }

  encode(): Uint8Array {
    return A.save(this.doc);
  }
}

export const automergeEngine: Engine = {
  name: 'automerge',
  merges: true,
  create: (agent) => new AutomergeDoc(A.load<Shape>(baseDoc(), { actor: actor(agent) })),
  parse: (bytes) => new AutomergeDoc(A.load<Shape>(bytes)),
  mergeInputs: (docs) => docs.map((d) => d.encode()),
  merge: (inputs) => {
    let doc = A.init<Shape>();
    for (const input of inputs) doc = A.loadIncremental(doc, input);
    return new AutomergeDoc(doc);
  },
};
