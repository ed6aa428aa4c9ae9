/**
 * Checkout shares a window's connection with its replica: one channel of the connection carries the
 * checkout messages to and from the authority node. `splitCheckoutChannel` wraps the window's transport
 * so that the replica sees the room without the authority (it never tries to sync an engine with it, and
 * the authority never counts as a replica for convergence), and checkout sees only its channel and its
 * one peer. Generic in the channel type, so it fits whatever names a channel on the wire.
 */
import type { ClientLink } from './client.ts';
import { AUTHORITY_NODE_ID } from './messages.ts';

export interface ChannelHandlers<C> {
  linkUp(peer: string): void;
  linkDown(peer: string): void;
  message(from: string, channel: C, payload: Uint8Array): void;
  state?(state: 'connecting' | 'online' | 'offline'): void;
}

/** The shape of a replica's transport (the replica runtime's `Transport`). */
export interface ChannelTransport<C> {
  readonly nodeId: string;
  start(handlers: ChannelHandlers<C>): void;
  send(to: string, channel: C, payload: Uint8Array): void;
  reachable(): ReadonlySet<string>;
  state(): 'connecting' | 'online' | 'offline';
  close(): void;
}

export interface CheckoutLinkEvents {
  linkUp(): void;
  linkDown(): void;
  message(payload: Uint8Array): void;
}

export interface SplitTransport<C> {
  /** The transport for the replica: everything but the authority. */
  readonly transport: ChannelTransport<C>;
  /** Checkout's link to the authority. */
  readonly link: ClientLink;
  /** Where checkout hears of the authority (set once the checkout client exists). */
  listen(events: CheckoutLinkEvents): void;
}

export function splitCheckoutChannel<C>(
  inner: ChannelTransport<C>,
  channel: C,
  authority: string = AUTHORITY_NODE_ID,
): SplitTransport<C> {
  let events: CheckoutLinkEvents | undefined;
  const reachableWithoutAuthority = (): ReadonlySet<string> => {
    const all = inner.reachable();
    if (!all.has(authority)) return all;
    const others = new Set(all);
    others.delete(authority);
    return others;
  };
  const transport: ChannelTransport<C> = {
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
      if (to !== authority) inner.send(to, on, payload);
    },
    reachable: reachableWithoutAuthority,
    state: () => inner.state(),
    close: () => inner.close(),
  };
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
