/** The converge engine: our own CRDTs (crdt-core). */
import type { EngineDescriptor } from '../../engine-descriptor.ts';
import { sealedMessageKind } from '../kit/envelope.ts';
import { ConvergeEngine, EnvelopeKind } from './converge-engine.ts';

/** The first byte of a converge sync message, inside its envelope. */
const MESSAGE_KINDS: Readonly<Record<number, string>> = { 1: 'hello (vector)', 2: 'ops', 3: 'state' };

export const convergeEngine: EngineDescriptor = {
  name: 'converge',
  label: 'converge',
  description: 'converge: our own CRDTs (crdt-core), which keep every concurrent edit',
  wireCode: 0,
  completeVersion: true,
  cartRules: {
    step: 'a counter step (PN-counter): concurrent presses all count',
    set: 'adds the difference to the quantity this replica saw: concurrent presses still count',
  },
  semantics: { counters: 'exact', growingCart: 'exact', text: 'merged', register: 'multi-value' },
  // µs per character of a 150,000-character insertion or deletion (measured 2026-12-07, bench/README.md).
  largeEditCost: 0.5,
  largeDeleteCost: 0.08,
  describePayload: (payload) => sealedMessageKind(payload, EnvelopeKind.ConvergeMessage, MESSAGE_KINDS),
  create: (context) => new ConvergeEngine(context),
};

export { ConvergeEngine, EnvelopeKind } from './converge-engine.ts';
export { WorkspaceDocument } from './workspace-document.ts';
