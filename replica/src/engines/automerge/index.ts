/** The Automerge engine: the workspace as an Automerge document, used the way Automerge suggests. */
export { AutomergeEngine, type AutomergeWorkspace, automergeGenesis } from './automerge-engine.ts';
export { automergeEngine } from './descriptor.ts';
