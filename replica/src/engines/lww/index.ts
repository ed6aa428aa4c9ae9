/** The last-writer-wins engine: the baseline that shows what naive timestamp merging loses. */
import type { Engine } from '../../engine.ts';
import type { EngineDescriptor } from '../../engine-descriptor.ts';
import { LwwEngine } from './lww-engine.ts';
import { EnvelopeKind } from './lww-write.ts';

const MESSAGE_ENVELOPES: ReadonlySet<number> = new Set([
  EnvelopeKind.LwwMessage,
  EnvelopeKind.LwwMessageWithSkew,
]);
const MESSAGE_KINDS: Readonly<Record<number, string>> = { 1: 'hello (vector)', 2: 'writes' };

function lww(engine: Engine): LwwEngine {
  if (!(engine instanceof LwwEngine)) throw new TypeError(`${engine.name} is not a last-writer-wins engine`);
  return engine;
}

export const lwwEngine: EngineDescriptor = {
  name: 'lww',
  label: 'last-writer-wins',
  description:
    'last-writer-wins: every field keeps the write with the latest clock; the Lost writes tab lists the others',
  wireCode: 3,
  completeVersion: true,
  cartRules: {
    step: 'writes the quantity this replica saw ± 1: the latest clock wins, the other writes are listed as lost',
    set: 'writes the number: the latest clock wins, the other writes are listed as lost',
  },
  semantics: { counters: 'lossy', growingCart: 'lossy', text: 'lossy', register: 'single-value' },
  // µs per character of a 150,000-character insertion or deletion (measured 2026-12-07, bench/README.md).
  largeEditCost: 0.1,
  largeDeleteCost: 0.01,
  describePayload(payload) {
    // "CE", version, kind, then the message type as a varint (one byte for the known types).
    if (payload.length < 5 || payload[0] !== 0x43 || payload[1] !== 0x45) return 'unrecognised';
    if (!MESSAGE_ENVELOPES.has(payload[3] as number)) return 'unrecognised';
    return MESSAGE_KINDS[payload[4] as number] ?? 'unrecognised';
  },
  create: (context) => new LwwEngine(context),
  ledger: {
    lost: (engine) => lww(engine).ledger(),
    writes: (engine) => lww(engine).writes(),
  },
};

export { LwwEngine } from './lww-engine.ts';
export { LwwLedger } from './lww-ledger.ts';
export type { LwwField, LwwMessage, LwwValue, LwwWrite } from './lww-write.ts';
