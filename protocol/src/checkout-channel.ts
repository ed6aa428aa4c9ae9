/**
 * Checkout shares a window's connection with its replica: one channel of the connection carries the
 * checkout messages to and from the room's authority node. `splitCheckoutChannel` wraps a transport so
 * that the replica sees the room without the authority (it never tries to sync an engine with it, and
 * the authority never counts as a replica for convergence), and checkout sees only its channel and its
 * one peer. The storage peer takes the replica's half alone.
 */
import { AUTHORITY_NODE_ID, CHECKOUT_CHANNEL } from './channels.ts';
import type { Transport } from './transport.ts';

/** The checkout half: one peer (the authority), one channel. */
export interface CheckoutLink {
  /** Send to the authority (dropped when it cannot be reached). */
  send(payload: Uint8Array): void;
  /** Whether the authority can be reached now, both ways. */
  reachable(): boolean;
}

export interface CheckoutLinkEvents {
  linkUp(): void;
  linkDown(): void;
  message(payload: Uint8Array): void;
}

export interface SplitTransport {
  /** The transport for the replica: everything but the authority. */
  readonly transport: Transport;
  /** Checkout's link to the authority. */
  readonly link: CheckoutLink;
  /** Where checkout hears of the authority (set once the checkout client exists). */
  listen(events: CheckoutLinkEvents): void;
}

export function splitCheckoutChannel(
  inner: Transport,
  channel: number = CHECKOUT_CHANNEL,
  authority: string = AUTHORITY_NODE_ID,
): SplitTransport {
  let events: CheckoutLinkEvents | undefined;
  const reachableWithoutAuthority = (): ReadonlySet<string> => {
    const all = inner.reachable();
    if (!all.has(authority)) return all;
    const others = new Set(all);
    others.delete(authority);
    return others;
  };
  const transport: Transport = {
    nodeId: inner.nodeId,
    start(handlers) {
      inner.start({
        linkUp: (peer) => (peer === authority ? events?.linkUp() : handlers.linkUp(peer)),
        linkDown: (peer) => (peer === authority ? events?.linkDown() : handlers.linkDown(peer)),
        message: (from, on, payload) => {
          if (from === authority) {
            if (on === channel) events?.message(payload);
            return; // the authority speaks only checkout
          }
          if (on === channel) return; // checkout messages come from the authority alone
          handlers.message(from, on, payload);
        },
        ...(handlers.state === undefined ? {} : { state: (state) => handlers.state?.(state) }),
      });
    },
    send: (to, on, payload) => {
      if (to !== authority && on !== channel) inner.send(to, on, payload);
    },
    reachable: reachableWithoutAuthority,
    state: () => inner.state(),
    close: () => inner.close(),
  };
  // A broadcast reaches the authority too, which takes nothing but checkout messages from windows.
  const broadcast = inner.broadcast?.bind(inner);
  if (broadcast !== undefined) {
    transport.broadcast = (on, payload) => {
      if (on !== channel) broadcast(on, payload);
    };
  }
  const linked = inner.linked?.bind(inner);
  if (linked !== undefined) transport.linked = linked;
  // The window's Offline toggle reaches the connection through whichever half the replica holds.
  const offline = inner as Partial<{ setOffline(offline: boolean): void }>;
  if (typeof offline.setOffline === 'function') {
    const setOffline = offline.setOffline.bind(inner);
    Object.assign(transport, { setOffline });
  }
  return {
    transport,
    link: {
      send: (payload) => inner.send(authority, channel, payload),
      reachable: () => inner.reachable().has(authority),
    },
    listen: (listener) => {
      events = listener;
    },
  };
}
