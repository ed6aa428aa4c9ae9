/** The Yjs engine's code: what its descriptor loads on demand (it brings Yjs and y-protocols). */
import type { Engine, EngineContext } from '../../engine.ts';
import { YjsEngine } from './yjs-engine.ts';

export function create(context: EngineContext): Engine {
  return new YjsEngine(context);
}
