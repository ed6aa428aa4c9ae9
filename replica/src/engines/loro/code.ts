/** The Loro engine's code: what its descriptor loads on demand (it brings Loro's WebAssembly). */
import type { Engine, EngineContext } from '../../engine.ts';
import { LoroEngine } from './loro-engine.ts';

export function create(context: EngineContext): Engine {
  return new LoroEngine(context);
}
