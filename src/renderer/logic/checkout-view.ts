/**
 * What the Checkout tab shows, from what the window knows of the authority (`ClientView`) and of its own
 * engines: the orders with each step of their saga, the compensations among them and the fencing token
 * that wrote them; the stock at the authority beside each engine's cart and CRDT stock counter; and how
 * many items a CRDT alone would have sold that do not exist.
 */
import {
  type ClientView,
  describeLines,
  formatAmount,
  OPERATION_CONSISTENCY,
  type OrderRecord,
  type ProductStock,
  type SagaStep,
  type StepOutcome,
  statusOf,
} from '@converge/checkout';

export type OrderRowStatus = 'sending' | 'in-progress' | 'confirmed' | 'refused' | 'compensated';

export interface StepRow {
  readonly step: SagaStep;
  readonly outcome: StepOutcome;
  /** Refund, cancel-shipment and release undo earlier steps. */
  readonly compensation: boolean;
  readonly token: number;
  readonly detail?: string;
}

export interface OrderRow {
  /** The authority's id, or the key while the authority has not answered yet. */
  readonly id: string;
  readonly mine: boolean;
  readonly replica: string;
  readonly key: string;
  readonly status: OrderRowStatus;
  /** Why it was refused or compensated. */
  readonly reason?: string;
  readonly lines: string;
  readonly amount?: string;
  readonly steps: readonly StepRow[];
  /** Checkout is strong: every order went through the authority. */
  readonly consistency: 'strong';
  /** The fencing token of the holder that last wrote the order. */
  readonly token?: number;
  readonly version?: number;
}

const COMPENSATIONS: ReadonlySet<SagaStep> = new Set(['refund', 'cancel-shipment', 'release']);

/** This window's checkouts not yet seen at the authority first, then every order, newest first. */
export function orderRows(view: ClientView, replica: string): OrderRow[] {
  const consistency = OPERATION_CONSISTENCY.checkout.level;
  const sending: OrderRow[] = view.pending.map((sent) => ({
    id: sent.key,
    mine: true,
    replica,
    key: sent.key,
    status: sent.refused === undefined ? 'sending' : 'refused',
    ...(sent.refused === undefined ? {} : { reason: sent.refused }),
    lines: describeLines(sent.lines),
    steps: [],
    consistency,
  }));
  return [...sending, ...view.orders.map((order) => orderRow(order, replica))];
}

function orderRow(order: OrderRecord, replica: string): OrderRow {
  return {
    id: order.id,
    mine: order.replica === replica,
    replica: order.replica,
    key: order.key,
    status: statusOf(order.phase),
    ...(order.reason === undefined ? {} : { reason: order.reason }),
    lines: describeLines(order.lines),
    amount: formatAmount(order.amount),
    steps: order.history.map((entry) => ({
      step: entry.step,
      outcome: entry.outcome,
      compensation: COMPENSATIONS.has(entry.step),
      token: entry.token,
      ...(entry.detail === undefined ? {} : { detail: entry.detail }),
    })),
    consistency: OPERATION_CONSISTENCY.checkout.level,
    token: order.token,
    version: order.version,
  };
}

export interface StockRow {
  readonly product: string;
  /** At the authority (strong), when it has the product. */
  readonly authority?: ProductStock;
  /** Each engine's merged cart quantity of the product (eventual). */
  readonly carts: Readonly<Record<string, number>>;
  /**
   * Per engine: how many more than exist would be sold if every cart were honoured without the authority
   * (cart quantity beyond everything the authority ever had in stock: available, reserved and sold).
   */
  readonly oversell: Readonly<Record<string, number>>;
}

/** One row per product in stock at the authority or in some engine's cart. */
export function stockRows(
  authority: readonly (readonly [string, ProductStock])[],
  carts: Readonly<Record<string, Readonly<Record<string, number>>>>,
): StockRow[] {
  const stock = new Map(authority);
  const products = new Set<string>(stock.keys());
  for (const cart of Object.values(carts)) for (const product of Object.keys(cart)) products.add(product);
  return [...products].sort().map((product) => {
    const atAuthority = stock.get(product);
    const total =
      atAuthority === undefined ? 0 : atAuthority.available + atAuthority.reserved + atAuthority.sold;
    const inCarts: Record<string, number> = {};
    const oversell: Record<string, number> = {};
    for (const [engine, cart] of Object.entries(carts)) {
      const quantity = Math.max(0, cart[product] ?? 0);
      inCarts[engine] = quantity;
      oversell[engine] = Math.max(0, quantity - total);
    }
    return {
      product,
      ...(atAuthority === undefined ? {} : { authority: atAuthority }),
      carts: inCarts,
      oversell,
    };
  });
}

/** A CRDT stock counter below zero is stock sold that did not exist. */
export function counterOversell(counter: number): number {
  return Math.max(0, -counter);
}
