/**
 * The light entry point (`@converge/replica/descriptors`): what a user interface needs of the replica
 * package without loading any engine — the workspace schema, engine names, and each engine's facts (its
 * descriptor without the code: labels, merge rules, what it keeps). A window's page imports this while
 * the engines run in its replica worker, which sends the facts of the engines it hosts.
 */
import type { EngineDescriptor } from './engine-descriptor.ts';

export type * from './engine.ts';
export type * from './engine-descriptor.ts';
export * from './engine-name.ts';
export * from './ledger.ts';
export * from './schema.ts';
export * from './workspace.ts';

/** An engine's descriptor as data: what the UI shows and asks of it, plain enough to post to a page. */
export interface EngineFacts
  extends Pick<
    EngineDescriptor,
    'name' | 'label' | 'description' | 'wireCode' | 'completeVersion' | 'cartRules' | 'semantics'
  > {
  /** The engine keeps a ledger of the writes it lost (the descriptor has `ledger`). */
  readonly keepsLedger: boolean;
  /** The engine's versions are sets of heads (the descriptor has `heads`). */
  readonly versionsAreHeads: boolean;
}

export function engineFacts(descriptor: EngineDescriptor): EngineFacts {
  const { name, label, description, wireCode, completeVersion, cartRules, semantics } = descriptor;
  return {
    name,
    label,
    description,
    wireCode,
    completeVersion,
    cartRules: { ...cartRules },
    semantics: { ...semantics },
    keepsLedger: descriptor.ledger !== undefined,
    versionsAreHeads: descriptor.heads !== undefined,
  };
}
