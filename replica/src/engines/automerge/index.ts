/** The Automerge engine: the workspace as an Automerge document, used the way Automerge suggests. */
import * as A from '@automerge/automerge';
import type { EngineDescriptor } from '../../engine-descriptor.ts';
import { AutomergeEngine, isChangeChunk } from './automerge-engine.ts';
import { automergeHeads } from './heads.ts';

export const automergeEngine: EngineDescriptor = {
  name: 'automerge',
  label: 'Automerge',
  description: 'Automerge, used the way a typical Automerge app uses it',
  wireCode: 2,
  completeVersion: true,
  cartRules: {
    step: 'a step of an Automerge Counter: concurrent presses all count',
    set: 'replaces the Counter: presses made at the same time on the old one are lost',
  },
  // Concurrent first adds of a line create competing Counters: one shows, with its own adds.
  semantics: { counters: 'exact', growingCart: 'bounded', text: 'merged', register: 'multi-value' },
  // µs per character of a 150,000-character insertion or deletion (measured 2026-12-07, bench/README.md).
  largeEditCost: 30,
  largeDeleteCost: 32,
  describePayload(payload) {
    // A live keystroke is pushed as its change alone, outside the sync protocol.
    if (isChangeChunk(payload)) return 'change (pushed)';
    try {
      const changes = A.decodeSyncMessage(payload).changes.length;
      return changes === 0 ? 'sync (heads only)' : `sync (${changes} change${changes === 1 ? '' : 's'})`;
    } catch {
      return 'unrecognised';
    }
  },
  create: (context) => new AutomergeEngine(context),
  heads: automergeHeads,
};

export { AutomergeEngine, type AutomergeWorkspace, automergeGenesis } from './automerge-engine.ts';
