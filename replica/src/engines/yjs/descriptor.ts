/** The Yjs engine's descriptor: its facts, with its code (Yjs, y-protocols) loaded on demand. */
import type { EngineDescriptor } from '../../engine-descriptor.ts';
import { CodeOnDemand } from '../kit/code-on-demand.ts';

/** y-protocols' sync message types, the first byte of every payload. */
const MESSAGE_KINDS = ['sync step 1', 'sync step 2', 'update'] as const;

const code = new CodeOnDemand('yjs', () => import('./code.ts'));

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
  code,
  create: (context) => code.get().create(context),
};
