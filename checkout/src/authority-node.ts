/**
 * The authority as a node of its room: it joins the room like the storage peer does, so the link table
 * decides who can reach it (a window cut off from it cannot check out), takes checkouts from the windows
 * that reach it, and tells every window it reaches about every change (orders, stock, holders, fencing).
 * Whatever arrives malformed, or from a window without the write right, is refused to that window alone.
 */
import { CHECKOUT_CHANNEL, STORAGE_NODE_ID, type Transport } from '@converge/protocol';
import type { AuthorityEvent, AuthorityHost, CheckoutReply } from './host.ts';
import {
  type AuthorityMessage,
  type ClientMessage,
  decodeClientMessage,
  encodeAuthorityMessage,
  MAX_ORDERS_IN_VIEW,
  type PublicView,
} from './messages.ts';

export interface AuthorityLink {
  /** Send to one node of the room (dropped when it cannot be reached). */
  send(to: string, bytes: Uint8Array): void;
  /** The windows the authority reaches now, both ways. */
  windows(): Iterable<string>;
}

export interface AuthorityNodeOptions {
  /** Whether `node` may check out (its credential has the write right); default: every window may. */
  readonly canWrite?: (node: string) => boolean;
  /** A message from `node` could not be read (for logs). */
  readonly onMalformed?: (node: string, problem: string) => void;
}

export class AuthorityNode {
  private readonly unsubscribe: () => void;
  private closed = false;

  constructor(
    private readonly host: AuthorityHost,
    private readonly link: AuthorityLink,
    private readonly options: AuthorityNodeOptions = {},
  ) {
    this.unsubscribe = host.subscribe((event) => this.broadcast(event));
  }

  /** A window became reachable: send it everything it may have missed. */
  async linkUp(node: string): Promise<void> {
    this.send(node, { type: 'view', view: await this.publicView() });
  }

  /** A message from a window. */
  async receive(from: string, bytes: Uint8Array): Promise<void> {
    let message: ClientMessage;
    try {
      message = decodeClientMessage(bytes);
    } catch (error) {
      this.options.onMalformed?.(from, (error as Error).message);
      return;
    }
    if (message.type === 'refresh') {
      this.send(from, { type: 'view', view: await this.publicView() });
      return;
    }
    if (this.options.canWrite?.(from) === false) {
      this.send(from, { type: 'refused', key: message.key, reason: 'checkout needs the write right' });
      return;
    }
    let reply: CheckoutReply;
    try {
      reply = await this.host.checkout(from, message.key, message.lines);
    } catch {
      return; // the authority is closing: the window asks again, of whoever serves next
    }
    // The answer goes to the sender even when nothing changed (a retry asking how its order is doing).
    this.send(
      from,
      reply.kind === 'placed'
        ? { type: 'order', order: reply.order }
        : { type: 'refused', key: message.key, reason: reply.reason },
    );
  }

  /** Send nothing more (the authority is closing, or its process is gone). */
  close(): void {
    this.closed = true;
    this.unsubscribe();
  }

  private async publicView(): Promise<PublicView> {
    const view = await this.host.view();
    return {
      seq: view.seq,
      products: view.products,
      orders: view.orders.slice(-MAX_ORDERS_IN_VIEW),
      holders: view.holders,
      fenced: view.fenced,
    };
  }

  private broadcast(event: AuthorityEvent): void {
    let message: AuthorityMessage;
    switch (event.type) {
      case 'order':
        message = { type: 'order', order: event.order };
        break;
      case 'stock':
        message = { type: 'stock', product: event.product, stock: event.stock, version: event.version };
        break;
      case 'holders':
        message = { type: 'holders', holders: event.holders };
        break;
      case 'fenced':
        message = { type: 'fenced', event: event.event };
        break;
      case 'problem':
        return;
    }
    if (this.closed) return;
    const bytes = encodeAuthorityMessage(message);
    for (const node of this.link.windows()) this.link.send(node, bytes);
  }

  private send(to: string, message: AuthorityMessage): void {
    if (this.closed) return;
    this.link.send(to, encodeAuthorityMessage(message));
  }
}

/**
 * The authority as a node on `transport` (the relay's in-process node, or the simulated network's): it
 * answers the checkout channel of every window it reaches; the storage peer is no window. Throws what
 * `transport.start` throws (the relay's limits), with nothing left subscribed.
 */
export function serveAuthority(
  host: AuthorityHost,
  transport: Transport,
  options: AuthorityNodeOptions = {},
): AuthorityNode {
  const node = new AuthorityNode(
    host,
    {
      send: (to, bytes) => transport.send(to, CHECKOUT_CHANNEL, bytes),
      windows: () => [...transport.reachable()].filter((id) => id !== STORAGE_NODE_ID),
    },
    options,
  );
  try {
    transport.start({
      linkUp: (peer) => {
        if (peer !== STORAGE_NODE_ID) void node.linkUp(peer);
      },
      linkDown: () => {},
      message: (from, channel, payload) => {
        if (channel === CHECKOUT_CHANNEL && from !== STORAGE_NODE_ID) void node.receive(from, payload);
      },
    });
  } catch (error) {
    node.close();
    throw error;
  }
  return node;
}
