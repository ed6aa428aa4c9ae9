import type { Engine, EngineName } from './types.ts';

/**
 * Engines load on demand, so a worker process measuring one engine never loads (or warms up, or
 * allocates WASM memory for) the others.
 */
export async function loadEngine(name: EngineName): Promise<Engine> {
  switch (name) {
    case 'converge':
      return (await import('./converge.ts')).convergeEngine;
    case 'yjs':
      return (await import('./yjs.ts')).yjsEngine;
    case 'yjs-v2':
      return (await import('./yjs.ts')).yjsV2Engine;
    case 'automerge':
      return (await import('./automerge.ts')).automergeEngine;
    case 'json-joy':
      return (await import('./json-joy.ts')).jsonJoyEngine;
    case 'loro':
      return (await import('./loro.ts')).loroEngine;
    case 'gap-buffer':
      return (await import('./gap-buffer.ts')).gapBufferEngine;
  }
}

export { ENGINE_NAMES, type Engine, type EngineDoc, type EngineName, isEngineName } from './types.ts';
