/**
 * The Automerge engine's descriptor: its facts, with its code (the library and its WebAssembly, 3.6 MB)
 * loaded on demand (`code.ts`).
 */
import type { EngineDescriptor } from '../../engine-descriptor.ts';
import { CodeOnDemand } from '../kit/code-on-demand.ts';
import { isChangeChunk } from './change-chunk.ts';

const code = new CodeOnDemand('automerge', () => import('./code.ts'));

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
    const loaded = code.peek();
    if (loaded === undefined) return 'sync'; // counting its changes needs the library
    try {
      const changes = loaded.syncChanges(payload);
      return changes === 0 ? 'sync (heads only)' : `sync (${changes} change${changes === 1 ? '' : 's'})`;
    } catch {
      return 'unrecognised';
    }
  },
  code,
  create: (context) => code.get().create(context),
  heads: (engine) => code.get().heads(engine),
};
