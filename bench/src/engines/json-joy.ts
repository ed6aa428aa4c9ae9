import { Model, Patch, type StrApi } from 'json-joy/lib/json-crdt/index.js';
import type { Patch as TracePatch } from '../workload.ts';
import type { Engine, EngineDoc } from './types.ts';

/** The shared starting document: {text: ''} created by a fixed session. */
let base: Uint8Array | null = null;
function baseModel(): Uint8Array {
  if (base === null) {
    const model = Model.create(undefined, 100_000);
    model.api.set({ text: '' });
    model.api.flush();
    base = model.toBinary();
  }
  return base;
}

class JsonJoyDoc implements EngineDoc {
  private readonly str: StrApi;

  constructor(private readonly model: Model) {
    this.str = model.api.str(['text']);
  }

  edit(position: number, deleted: number, inserted: string): Uint8Array {
    if (deleted > 0) this.str.del(position, deleted);
    if (inserted !== '') this.str.ins(position, inserted);
    return this.model.api.flush().toBinary();
  }

  transact(patches: readonly TracePatch[]): Uint8Array {
    for (const [position, deleted, inserted] of patches) {
      if (deleted > 0) this.str.del(position, deleted);
      if (inserted !== '') this.str.ins(position, inserted);
    }
    return this.model.api.flush().toBinary();
  }

  applyUpdate(update: Uint8Array): void {
    this.model.applyPatch(Patch.fromBinary(update));
  }

  text(): string {
    return this.str.view();
  }

  encode(): Uint8Array {
    return this.model.toBinary();
  }
}

export const jsonJoyEngine: Engine = {
  name: 'json-joy',
  merges: true,
  create: (agent) => new JsonJoyDoc(Model.fromBinary(baseModel()).fork(200_000 + agent)),
  parse: (bytes) => new JsonJoyDoc(Model.fromBinary(bytes)),
  // json-joy has no state-based merge; a fresh replica replays every patch in causal order.
  mergeInputs: (_docs, updatesInOrder) => [...updatesInOrder],
  merge: (inputs) => {
    const doc = new JsonJoyDoc(Model.fromBinary(baseModel()).fork(300_000));
    for (const input of inputs) doc.applyUpdate(input);
    return doc;
  },
};
