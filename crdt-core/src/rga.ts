// Public surface of the RGA text CRDT (implementation in ./rga/).
export { decodeRgaOps, encodeRgaOp, encodeRgaOps } from './rga/op-codec.ts';
export { Rga } from './rga/rga.ts';
export type {
  ApplyResult,
  DeleteOp,
  IdPlace,
  IdRange,
  InsertedBefore,
  InsertOp,
  RemoteEditObserver,
  RgaId,
  RgaOp,
  RgaVersion,
  TombstoneOp,
} from './rga/types.ts';
