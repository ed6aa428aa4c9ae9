export { Cart, type CartLine, type CartOp } from './cart.ts';
export { CausalContext } from './causal-context.ts';
export * from './encoding.ts';
export { GCounter, type GCounterOp } from './g-counter.ts';
export {
  compareHybridTimestamps,
  decodeHybridTimestamp,
  encodeHybridTimestamp,
  type HybridClockOptions,
  HybridLogicalClock,
  type HybridTimestamp,
  readHybridTimestamp,
  requireHybridTimestamp,
  writeHybridTimestamp,
} from './hybrid-clock.ts';
export { LamportClock } from './lamport-clock.ts';
export { LwwRegister, type LwwRegisterOp } from './lww-register.ts';
export { MvRegister, type MvRegisterOp, type Sibling } from './mv-register.ts';
export { type LoggedOp, OperationLog } from './operation-log.ts';
export { OrSet, type OrSetOp } from './or-set.ts';
export { PNCounter, type PNCounterOp } from './pn-counter.ts';
export { SeededRandom } from './random.ts';
export * from './replica-id.ts';
export type { Replicated } from './replicated.ts';
export * from './rga.ts';
export { integerCodec, stringCodec, type ValueCodec } from './value-codec.ts';
export { type VersionOrder, VersionVector } from './version-vector.ts';
