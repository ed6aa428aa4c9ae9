/** The Automerge engine's code: what its descriptor loads on demand (it brings Automerge's WebAssembly). */
import * as A from '@automerge/automerge';
import type { Engine, EngineContext } from '../../engine.ts';
import { AutomergeEngine } from './automerge-engine.ts';

export { automergeHeads as heads } from './heads.ts';

export function create(context: EngineContext): Engine {
  return new AutomergeEngine(context);
}

/** How many changes a sync message carries; throws on a malformed one. */
export function syncChanges(payload: Uint8Array): number {
  return A.decodeSyncMessage(payload).changes.length;
}
