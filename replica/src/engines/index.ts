/**
 * The engine registry: every engine the app compares, in display order, each from its own folder. This is
 * the one table of engines and their wire codes (each descriptor declares its code; the registry refuses
 * two engines with one). Adding an engine is a folder with its descriptor, and a line here.
 *
 * Only the descriptors are imported here: Yjs's, Automerge's and Loro's code loads on demand (their
 * `descriptor.ts` imports `code.ts` dynamically), so a replica that builds converge first does not wait
 * for their libraries (`EngineRegistry.load`).
 */
import { EngineRegistry } from '../engine-registry.ts';
import { automergeEngine } from './automerge/descriptor.ts';
import { convergeEngine } from './converge/index.ts';
import { loroEngine } from './loro/descriptor.ts';
import { lwwEngine } from './lww/index.ts';
import { yjsEngine } from './yjs/descriptor.ts';

export const ENGINES = new EngineRegistry([
  convergeEngine, // wire code 0
  yjsEngine, // 1
  automergeEngine, // 2
  lwwEngine, // 3
  loroEngine, // 4
]);
