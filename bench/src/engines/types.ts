import type { Patch } from '../workload.ts';

export const ENGINE_NAMES = [
  'converge',
  'yjs',
  'yjs-v2',
  'automerge',
  'json-joy',
  'loro',
  'gap-buffer',
] as const;
export type EngineName = (typeof ENGINE_NAMES)[number];

export function isEngineName(name: string): name is EngineName {
  return (ENGINE_NAMES as readonly string[]).includes(name);
}

/** One replica's text document in some engine. */
export interface EngineDoc {
  /** Apply one patch as its own transaction; returns the update bytes that transaction produced. */
  edit(position: number, deleted: number, inserted: string): Uint8Array;
  /** Apply several patches, in sequence, as one transaction; returns its update bytes. */
  transact(patches: readonly Patch[]): Uint8Array;
  /** Apply an update produced by `edit`/`transact` on another replica (delivered causally). */
  applyUpdate(update: Uint8Array): void;
  text(): string;
  /** The whole document as the engine saves it. */
  encode(): Uint8Array;
}

export interface Engine {
  readonly name: EngineName;
  /**
   * False for the reference gap buffer, which has no CRDT metadata and so cannot merge concurrent
   * edits: concurrent workloads are not run for it.
   */
  readonly merges: boolean;
  /** A replica for agent `agent` (0-based) of a document all agents share. */
  create(agent: number): EngineDoc;
  /** Decode `encode()` bytes into a fresh document. */
  parse(bytes: Uint8Array): EngineDoc;
  /**
   * What a fresh replica needs to merge the agents' documents: for state-based engines each
   * agent's whole state; for engines without state merge (json-joy), the updates in causal order.
   */
  mergeInputs(docs: readonly EngineDoc[], updatesInOrder: readonly Uint8Array[]): Uint8Array[];
  /** A fresh replica that has merged `inputs` in order. */
  merge(inputs: readonly Uint8Array[]): EngineDoc;
}
