/** The Loro engine: the workspace as a LoroDoc, used the way Loro suggests. */
import type { EngineDescriptor } from '../../engine-descriptor.ts';
import { unseal } from '../kit/envelope.ts';
import { EnvelopeKind, LoroEngine, MessageKind } from './loro-engine.ts';

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
  describePayload(payload) {
    try {
      const kind = unseal(payload, EnvelopeKind.LoroMessage)[0];
      return kind === MessageKind.Hello
        ? 'hello (version)'
        : kind === MessageKind.Update
          ? 'update'
          : 'unrecognised';
    } catch {
      return 'unrecognised';
    }
  },
  create: (context) => new LoroEngine(context),
};

export { LoroEngine } from './loro-engine.ts';
