/**
 * Session guarantees for what one window sees of the authority, whatever the network does to the
 * messages (delays, duplicates, reordering, a relay restart, a holder change):
 *
 * - monotonic reads: an order's view, and a product's stock, only ever move forward: a message carrying
 *   an older version than one already shown is ignored (and counted);
 * - read-your-writes: a checkout this window sent is shown from the moment it was sent — as "sent, not
 *   yet confirmed by the authority" until the authority's record of it arrives, and as that record from
 *   then on — never as missing.
 *
 * Versions are the authority store's sequence numbers, durable and growing across holders and restarts.
 * The session's snapshot can be kept by the window (localStorage) so both hold across a reload.
 */
import type { ProductStock } from './authority-state.ts';
import type { Lines } from './lines.ts';
import type { OrderRecord } from './order.ts';

/** A checkout this window sent whose order it has not seen yet. */
export interface SentCheckout {
  readonly key: string;
  readonly lines: Lines;
  readonly sentAt: number;
  /** The authority refused to place it (a bad cart, a key used for another cart). */
  readonly refused?: string;
}

export interface SessionSnapshot {
  readonly sent: readonly SentCheckout[];
  /** order id → the version last shown. */
  readonly seen: readonly (readonly [string, number])[];
  /** Keys handed out so far (numbers the next one). */
  readonly keysIssued: number;
}

export interface SessionStats {
  /** Messages older than what was already shown, ignored. */
  readonly staleIgnored: number;
}

export class OrderSession {
  private readonly sent = new Map<string, SentCheckout>();
  private readonly orders = new Map<string, OrderRecord>();
  /** Versions shown, kept even for orders whose record this window does not hold (after a reload). */
  private readonly seen = new Map<string, number>();
  private readonly stock = new Map<string, { stock: ProductStock; version: number }>();
  private stale = 0;
  private keys: number;

  constructor(
    readonly replica: string,
    restored?: SessionSnapshot,
  ) {
    for (const sent of restored?.sent ?? []) this.sent.set(sent.key, sent);
    for (const [id, version] of restored?.seen ?? []) this.seen.set(id, version);
    this.keys = restored?.keysIssued ?? 0;
  }

  /** A key this window has not used: `<replica>-<n>`. */
  nextKey(): string {
    this.keys++;
    return `${this.replica}-${this.keys}`;
  }

  /** This window sent a checkout (read-your-writes: it is shown from now on). */
  recordSent(key: string, lines: Lines, at: number): void {
    if (this.ownOrder(key) !== undefined || this.sent.has(key)) return;
    this.sent.set(key, { key, lines, sentAt: at });
  }

  /** The authority refused to place a checkout this window sent. */
  recordRefused(key: string, reason: string): void {
    const sent = this.sent.get(key);
    if (sent !== undefined) this.sent.set(key, { ...sent, refused: reason });
  }

  /** An order's view from the authority; false when it is older than (or as old as) what is shown. */
  acceptOrder(order: OrderRecord): boolean {
    const shown = this.seen.get(order.id) ?? -1;
    if (order.version <= shown) {
      if (order.version < shown) this.stale++;
      // The same version again is a duplicate, not stale; after a reload it brings the record back.
      if (order.version !== shown || this.orders.has(order.id)) return false;
      this.orders.set(order.id, order);
      return true;
    }
    this.seen.set(order.id, order.version);
    this.orders.set(order.id, order);
    if (order.replica === this.replica) this.sent.delete(order.key);
    return true;
  }

  /** A product's stock at the authority as of `version`; false when older than what is shown. */
  acceptStock(product: string, stock: ProductStock, version: number): boolean {
    const shown = this.stock.get(product);
    if (shown !== undefined && version <= shown.version) {
      if (version < shown.version) this.stale++;
      return false;
    }
    this.stock.set(product, { stock, version });
    return true;
  }

  /** This window's checkouts not yet seen at the authority (oldest first). */
  pending(): SentCheckout[] {
    return [...this.sent.values()].sort((a, b) => a.sentAt - b.sentAt);
  }

  /** The order this window placed under `key`, if it has seen it. */
  ownOrder(key: string): OrderRecord | undefined {
    for (const order of this.orders.values())
      if (order.replica === this.replica && order.key === key) return order;
    return undefined;
  }

  /** Every order shown, newest first. */
  allOrders(): OrderRecord[] {
    return [...this.orders.values()].sort((a, b) => b.placedAt - a.placedAt || (a.id < b.id ? 1 : -1));
  }

  stockShown(): [string, ProductStock][] {
    return [...this.stock.entries()]
      .map(([product, { stock }]): [string, ProductStock] => [product, stock])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  }

  stats(): SessionStats {
    return { staleIgnored: this.stale };
  }

  snapshot(): SessionSnapshot {
    return { sent: [...this.sent.values()], seen: [...this.seen.entries()], keysIssued: this.keys };
  }
}
