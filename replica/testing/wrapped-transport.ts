import type { Transport } from '@converge/protocol';

/**
 * `inner` with some of its parts replaced: the base of test transports that watch or bend what goes
 * through (counting what arrives, holding or delaying payloads, closing late).
 */
export function wrappedTransport(inner: Transport, parts: Partial<Omit<Transport, 'nodeId'>>): Transport {
  return {
    nodeId: inner.nodeId,
    start: (handlers) => inner.start(handlers),
    send: (to, channel, payload) => inner.send(to, channel, payload),
    ...(inner.broadcast === undefined
      ? {}
      : { broadcast: (channel: number, payload: Uint8Array) => inner.broadcast?.(channel, payload) }),
    reachable: () => inner.reachable(),
    ...(inner.linked === undefined ? {} : { linked: (from: string, to: string) => inner.linked?.(from, to) }),
    state: () => inner.state(),
    close: () => inner.close(),
    ...parts,
  };
}
