import type { Transport, TransportHandlers } from '@converge/protocol';
import { wrappedTransport } from './wrapped-transport.ts';

/** Bytes received per link ("from→to") and engine channel. */
export type LinkBytes = Map<string, Map<number, number>>;

/**
 * `inner`, counting every payload it delivers to its node in `bytes`, by link and channel; payloads from
 * a peer in `silenced` are dropped (a peer that never answers).
 */
export function countingReceived(
  inner: Transport,
  bytes: LinkBytes,
  silenced: ReadonlySet<string> = new Set(),
): Transport {
  return wrappedTransport(inner, {
    start: (handlers: TransportHandlers) =>
      inner.start({
        ...handlers,
        message: (from, channel, payload) => {
          if (silenced.has(from)) return;
          const key = `${from}→${inner.nodeId}`;
          const byChannel = bytes.get(key) ?? new Map<number, number>();
          bytes.set(key, byChannel);
          byChannel.set(channel, (byChannel.get(channel) ?? 0) + payload.length);
          handlers.message(from, channel, payload);
        },
      }),
  });
}
