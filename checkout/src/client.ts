/**
 * A window's side of checkout. Checkout is the one operation here that needs strong consistency, so it
 * needs the authority: while the window cannot reach it (offline, partitioned, a paused authority does
 * not count as unreachable — its successor answers), the window refuses to check out and says why; the
 * cart stays editable meanwhile. A checkout is sent with an idempotency key and sent again, with the same
 * key, until the order is final (a lost message, a timeout or a reconnect therefore never places two).
 * What the window shows goes through its `OrderSession` (read-your-writes, monotonic reads).
 */

import type { CheckoutLink } from '@converge/protocol';
import type { ProductStock } from './authority-state.ts';
import type { Clock } from './clock.ts';
import type { FencedEvent } from './holder.ts';
import type { HolderInfo } from './host.ts';
import { type Lines, linesProblem } from './lines.ts';
import {
  type AuthorityMessage,
  type ClientMessage,
  decodeAuthorityMessage,
  encodeClientMessage,
} from './messages.ts';
import { isFinal, type OrderRecord } from './order.ts';
import { OrderSession, type SentCheckout, type SessionSnapshot, type SessionStats } from './session.ts';

/** The window's link to its authority (the checkout half of its connection: protocol's `CheckoutLink`). */
export type ClientLink = CheckoutLink;

export interface CheckoutClientOptions {
  readonly replica: string;
  readonly link: ClientLink;
  readonly clock: Clock;
  /** How often an unfinished checkout is asked about again (default 1000 ms). */
  readonly retryMs?: number;
  /** Whether this window's credential may write (checkout needs it); default yes. */
  readonly canWrite?: () => boolean;
  /** The session as a previous page of this window left it. */
  readonly restored?: SessionSnapshot;
  /** Keep the session (called after every change to it). */
  readonly persist?: (snapshot: SessionSnapshot) => void;
}

export type Availability = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export type CheckoutStart =
  | { readonly kind: 'sent'; readonly key: string }
  | { readonly kind: 'refused'; readonly reason: string };

/** Where a checkout ended, as this window saw it. */
export type CheckoutEnd =
  | { readonly kind: 'order'; readonly order: OrderRecord }
  | { readonly kind: 'refused'; readonly reason: string };

export interface ClientView {
  readonly availability: Availability;
  /** Checkouts this window sent that the authority has not confirmed placing yet. */
  readonly pending: readonly SentCheckout[];
  /** Every order of the room this window has seen, newest first. */
  readonly orders: readonly OrderRecord[];
  readonly stock: readonly (readonly [string, ProductStock])[];
  readonly holders: readonly HolderInfo[];
  readonly fenced: readonly FencedEvent[];
  readonly session: SessionStats;
  /** Messages from the authority that could not be read. */
  readonly malformed: number;
}

export const UNREACHABLE_REASON =
  'checkout needs the authority (strong consistency) and this window cannot reach it; the cart stays editable';
export const READ_ONLY_REASON = "checkout needs the write right, and this window's credential is read-only";

export class CheckoutClient {
  readonly session: OrderSession;
  private readonly listeners = new Set<() => void>();
  /** Keys to keep asking about until their order is final. */
  private readonly open = new Map<string, Lines>();
  private readonly waiters = new Map<string, ((end: CheckoutEnd) => void)[]>();
  private holders: readonly HolderInfo[] = [];
  private fenced: readonly FencedEvent[] = [];
  private malformed = 0;
  private cancelRetry: () => void = () => {};
  private closed = false;

  constructor(private readonly options: CheckoutClientOptions) {
    this.session = new OrderSession(options.replica, options.restored);
    for (const sent of this.session.pending())
      if (sent.refused === undefined) this.open.set(sent.key, sent.lines);
    this.scheduleRetry();
  }

  availability(): Availability {
    if (this.options.canWrite?.() === false) return { ok: false, reason: READ_ONLY_REASON };
    if (!this.options.link.reachable()) return { ok: false, reason: UNREACHABLE_REASON };
    return { ok: true };
  }

  /** Check out `lines` under `key` (a new one when omitted; the same one again is a retry). */
  checkout(lines: Lines, key?: string): CheckoutStart {
    const available = this.availability();
    if (!available.ok) return { kind: 'refused', reason: available.reason };
    const problem = linesProblem(lines);
    if (problem !== undefined) return { kind: 'refused', reason: problem };
    const chosen = key ?? this.session.nextKey();
    this.session.recordSent(chosen, lines, this.options.clock.now());
    const known = this.session.ownOrder(chosen);
    if (known === undefined || !isFinal(known.phase)) this.open.set(chosen, lines);
    this.send({ type: 'checkout', key: chosen, lines });
    this.changed();
    return { kind: 'sent', key: chosen };
  }

  /** Resolves when the checkout under `key` is final (or refused) as this window sees it. */
  whenFinal(key: string): Promise<CheckoutEnd> {
    const end = this.endOf(key);
    if (end !== undefined) return Promise.resolve(end);
    return new Promise((resolve) => {
      const list = this.waiters.get(key) ?? [];
      list.push(resolve);
      this.waiters.set(key, list);
    });
  }

  /** The authority became reachable: catch up and ask again about everything unfinished. */
  linkUp(): void {
    this.send({ type: 'refresh' });
    this.resend();
    this.changed();
  }

  linkDown(): void {
    this.changed();
  }

  /** A message from the authority. */
  receive(bytes: Uint8Array): void {
    let message: AuthorityMessage;
    try {
      message = decodeAuthorityMessage(bytes);
    } catch {
      this.malformed++;
      this.changed();
      return;
    }
    this.apply(message);
    this.changed();
  }

  view(): ClientView {
    return {
      availability: this.availability(),
      pending: this.session.pending(),
      orders: this.session.allOrders(),
      stock: this.session.stockShown(),
      holders: this.holders,
      fenced: this.fenced,
      session: this.session.stats(),
      malformed: this.malformed,
    };
  }

  subscribe(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    this.cancelRetry();
  }

  private apply(message: AuthorityMessage): void {
    switch (message.type) {
      case 'view':
        for (const [product, stock] of message.view.products)
          this.session.acceptStock(product, stock, message.view.seq);
        for (const order of message.view.orders) this.acceptOrder(order);
        this.holders = message.view.holders;
        this.fenced = message.view.fenced;
        return;
      case 'order':
        this.acceptOrder(message.order);
        return;
      case 'stock':
        this.session.acceptStock(message.product, message.stock, message.version);
        return;
      case 'holders':
        this.holders = message.holders;
        return;
      case 'fenced':
        this.fenced = [...this.fenced, message.event].slice(-100);
        return;
      case 'refused':
        if (!this.open.has(message.key)) return;
        this.open.delete(message.key);
        this.session.recordRefused(message.key, message.reason);
        this.settle(message.key, { kind: 'refused', reason: message.reason });
        return;
    }
  }

  private acceptOrder(order: OrderRecord): void {
    if (!this.session.acceptOrder(order)) return;
    if (order.replica !== this.options.replica) return;
    if (isFinal(order.phase)) {
      this.open.delete(order.key);
      this.settle(order.key, { kind: 'order', order });
    }
  }

  private endOf(key: string): CheckoutEnd | undefined {
    const order = this.session.ownOrder(key);
    if (order !== undefined && isFinal(order.phase)) return { kind: 'order', order };
    const refused = this.session.pending().find((s) => s.key === key)?.refused;
    return refused === undefined ? undefined : { kind: 'refused', reason: refused };
  }

  private settle(key: string, end: CheckoutEnd): void {
    const list = this.waiters.get(key);
    this.waiters.delete(key);
    for (const resolve of list ?? []) resolve(end);
  }

  private resend(): void {
    for (const [key, lines] of this.open) this.send({ type: 'checkout', key, lines });
  }

  private scheduleRetry(): void {
    const ms = this.options.retryMs ?? 1000;
    const tick = (): void => {
      if (this.closed) return;
      this.cancelRetry = this.options.clock.setTimeout(tick, ms);
      if (this.open.size > 0 && this.options.link.reachable()) this.resend();
    };
    this.cancelRetry = this.options.clock.setTimeout(tick, ms);
  }

  private send(message: ClientMessage): void {
    if (this.options.link.reachable()) this.options.link.send(encodeClientMessage(message));
  }

  private changed(): void {
    this.options.persist?.(this.session.snapshot());
    for (const listener of this.listeners) listener();
  }
}
