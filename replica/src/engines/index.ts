/** The engine registry: `createEngine(name, ctx)` builds the engine of that name. */
import type { Engine, EngineContext } from '../engine.ts';
import { ENGINE_NAMES, type EngineName } from '../engine-name.ts';
import { AutomergeEngine } from './automerge-engine.ts';
import { ConvergeEngine } from './converge-engine.ts';
import { LwwEngine } from './lww-engine.ts';
import { YjsEngine } from './yjs-engine.ts';

export type EngineFactory = (ctx: EngineContext) => Engine;

const FACTORIES: { readonly [N in EngineName]?: EngineFactory } = {
  converge: (ctx) => new ConvergeEngine(ctx),
  yjs: (ctx) => new YjsEngine(ctx),
  automerge: (ctx) => new AutomergeEngine(ctx),
  lww: (ctx) => new LwwEngine(ctx),
};

/** Names createEngine can build right now. */
export function availableEngines(): EngineName[] {
  return ENGINE_NAMES.filter((name) => FACTORIES[name] !== undefined);
}

export function createEngine(name: EngineName, ctx: EngineContext): Engine {
  const factory = FACTORIES[name];
  if (!factory) throw new Error(`no engine named ${String(name)} is available`);
  return factory(ctx);
}

export { AutomergeEngine, type AutomergeWorkspace } from './automerge-engine.ts';
export { CART_MERGE_RULES, type CartMergeRule } from './cart-merge-rules.ts';
export { ConvergeEngine } from './converge-engine.ts';
export { EnvelopeKind, seal, unseal } from './envelope.ts';
export { fnv1a64Bytes, fnv1a64Hex } from './fnv1a64.ts';
export { LwwEngine } from './lww-engine.ts';
export { type LostReason, type LostWrite, LwwLedger } from './lww-ledger.ts';
export {
  causallyFollows,
  compareStamps,
  type LwwField,
  type LwwMessage,
  type LwwValue,
  type LwwWrite,
} from './lww-write.ts';
export { applyTextIntent, checkTextIntent } from './text-edit.ts';
export { canonicalJson, viewDigest } from './view-digest.ts';
export { YjsEngine } from './yjs-engine.ts';
