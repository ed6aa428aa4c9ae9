/** The Yjs engine: the workspace as a Y.Doc, used the way a typical Yjs app uses it. */
export { yjsEngine } from './descriptor.ts';
export { YjsEngine } from './yjs-engine.ts';
