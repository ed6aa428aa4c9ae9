/** The Loro engine: the workspace as a LoroDoc, used the way Loro suggests. */
export { loroEngine } from './descriptor.ts';
export { LoroEngine } from './loro-engine.ts';
