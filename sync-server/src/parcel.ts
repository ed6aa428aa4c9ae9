/**
 * One frame on its way to one node, as the room counts it: its bytes, and per entry (a data frame has
 * one, a bundle several) the channel and the bytes it is counted for (protocol's `entryShares`).
 */
import { type BundleEntry, entryShares } from '@converge/protocol';

export interface Parcel {
  readonly bytes: Uint8Array;
  readonly channels: readonly number[];
  /** Sum to `bytes.length`. */
  readonly sizes: readonly number[];
}

/** The parcel of `bytes`, the encoding of `entries` (a data frame when there is one entry). */
export function parcelOf(entries: readonly BundleEntry[], bytes: Uint8Array): Parcel {
  return {
    bytes,
    channels: entries.map((entry) => entry.channel),
    sizes: entryShares(entries, bytes.length),
  };
}
