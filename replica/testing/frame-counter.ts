/**
 * Counts what a node puts on the wire as the relay and the app count it: whole relay frames (the payload
 * and the frame's header, `encodeData`), each frame once whatever the number of recipients (a broadcast
 * the relay fans out is one frame), by channel and by addressing.
 */
import { encodeData, reportingSends, type Transport } from '@converge/protocol';

export interface CountedFrame {
  /** The recipient, or null for a broadcast. */
  readonly to: string | null;
  readonly channel: number;
  readonly payload: Uint8Array;
  /** The whole relay frame's size. */
  readonly bytes: number;
}

/** `inner`, recording every frame it is asked to send into `frames` (broadcast only if `inner` offers it). */
export function countFrames(inner: Transport, frames: CountedFrame[]): Transport {
  return reportingSends(inner, (to, channel, payload) => {
    frames.push({ to, channel, payload, bytes: encodeData(inner.nodeId, to, channel, payload).length });
  });
}
