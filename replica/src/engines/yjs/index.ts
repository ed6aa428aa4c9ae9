/** The Yjs engine: the workspace as a Y.Doc, used the way a typical Yjs app uses it. */
import type { EngineDescriptor } from '../../engine-descriptor.ts';
import { YjsEngine } from './yjs-engine.ts';

/** y-protocols' sync message types, the first byte of every payload. */
const MESSAGE_KINDS = ['sync step 1', 'sync step 2', 'update'] as const;

export const yjsEngine: EngineDescriptor = {
  name: 'yjs',
  label: 'Yjs',
  description: 'Yjs, used the way a typical Yjs app uses it',
  wireCode: 1,
  // A state vector counts insertions only: two replicas with equal vectors may differ in deletions.
  completeVersion: false,
  cartRules: {
    step: 'writes the quantity this replica saw ± 1 (Yjs has no counter): of concurrent writes one wins, by client id',
    set: 'writes the number: of concurrent writes one wins, by client id',
  },
  semantics: { counters: 'lossy', growingCart: 'bounded', text: 'merged', register: 'single-value' },
  // µs per character of a 150,000-character insertion or deletion (measured 2026-12-07, bench/README.md).
  largeEditCost: 0.2,
  largeDeleteCost: 0.01,
  describePayload: (payload) => MESSAGE_KINDS[payload[0] ?? -1] ?? 'unrecognised',
  create: (context) => new YjsEngine(context),
};

export { YjsEngine } from './yjs-engine.ts';
