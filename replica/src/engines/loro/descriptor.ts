/** The Loro engine's descriptor: its facts, with its code (Loro's WebAssembly, 3.6 MB) loaded on demand. */
import type { EngineDescriptor } from '../../engine-descriptor.ts';
import { CodeOnDemand } from '../kit/code-on-demand.ts';
import { sealedMessageKind } from '../kit/envelope.ts';
import { EnvelopeKind, MessageKind } from './kinds.ts';

/** The first byte of a Loro sync message, inside its envelope. */
const MESSAGE_KINDS: Readonly<Record<number, string>> = {
  [MessageKind.Hello]: 'hello (version)',
  [MessageKind.Update]: 'update',
};

const code = new CodeOnDemand('loro', () => import('./code.ts'));

export const loroEngine: EngineDescriptor = {
  name: 'loro',
  label: 'Loro',
  description: 'Loro, used the way a typical Loro app uses it',
  wireCode: 4,
  // Loro's version vector counts every operation, deletions included.
  completeVersion: true,
  cartRules: {
    step: 'a step of a Loro counter: concurrent presses all count',
    set: 'adds the difference to the quantity this replica saw: concurrent presses still count',
  },
  semantics: { counters: 'exact', growingCart: 'exact', text: 'merged', register: 'single-value' },
  // µs per character of a 150,000-character insertion or deletion (measured 2026-12-07, bench/README.md).
  largeEditCost: 1,
  largeDeleteCost: 0.16,
  describePayload: (payload) => sealedMessageKind(payload, EnvelopeKind.LoroMessage, MESSAGE_KINDS),
  code,
  create: (context) => code.get().create(context),
};
