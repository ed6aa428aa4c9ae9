import * as Y from 'yjs';
import type { Patch } from '../workload.ts';
import type { Engine, EngineDoc } from './types.ts';

/**
 * One of Yjs's two update formats. V1 is Yjs's default, the one y-protocols and y-websocket send
 * (and our app's yjs engine uses); V2 is the one dmonad/crdt-benchmarks' Yjs factory uses (B4
 * included): smaller documents, slower edits.
 */
interface YjsFormat {
  readonly event: 'update' | 'updateV2';
  encodeState(doc: Y.Doc): Uint8Array;
  applyUpdate(doc: Y.Doc, update: Uint8Array, origin?: unknown): void;
}

const V1: YjsFormat = { event: 'update', encodeState: Y.encodeStateAsUpdate, applyUpdate: Y.applyUpdate };
const V2: YjsFormat = {
  event: 'updateV2',
  encodeState: Y.encodeStateAsUpdateV2,
  applyUpdate: Y.applyUpdateV2,
};

class YjsDoc implements EngineDoc {
  private readonly ytext: Y.Text;
  private last: Uint8Array = new Uint8Array(0);

  constructor(
    readonly doc: Y.Doc,
    private readonly format: YjsFormat,
  ) {
    this.ytext = doc.getText('text');
    doc.on(format.event, (update: Uint8Array, origin: unknown) => {
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
    this.format.applyUpdate(this.doc, update, 'remote');
  }

  text(): string {
    return this.ytext.toString();
  }

  encode(): Uint8Array {
    return this.format.encodeState(this.doc);
  }
}

function fresh(agent: number): Y.Doc {
  const doc = new Y.Doc();
  doc.clientID = agent + 1; // fixed, so runs are repeatable
  return doc;
}

function yjsEngineWith(name: 'yjs' | 'yjs-v2', format: YjsFormat): Engine {
  return {
    name,
    merges: true,
    create: (agent) => new YjsDoc(fresh(agent), format),
    parse: (bytes) => {
      const doc = fresh(1_000_000);
      format.applyUpdate(doc, bytes);
      return new YjsDoc(doc, format);
    },
    mergeInputs: (docs) => docs.map((d) => d.encode()),
    merge: (inputs) => {
      const doc = fresh(1_000_001);
      for (const input of inputs) format.applyUpdate(doc, input);
      return new YjsDoc(doc, format);
    },
  };
}

export const yjsEngine = yjsEngineWith('yjs', V1);
export const yjsV2Engine = yjsEngineWith('yjs-v2', V2);
