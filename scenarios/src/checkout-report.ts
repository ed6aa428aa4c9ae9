/**
 * The checkout part of a scenario's report (only for scenarios with checkout steps): every order the
 * room's authority placed — its end, the charges the payment service made for it and its saga steps —
 * plus the checkouts a window refused itself (it could not reach the authority), and the stock at the
 * authority. Times are left out, so the same run gives the same report.
 */
import type { AuthorityStatus, FencedEvent, OrderStatus, SagaStep, StepOutcome } from '@converge/checkout';

export interface CheckoutRefusal {
  readonly replica: string;
  readonly key: string;
  readonly reason: string;
}

export interface OrderStepReport {
  readonly step: SagaStep;
  readonly outcome: StepOutcome;
  /** The fencing token of the holder that took the step. */
  readonly token: number;
  readonly detail?: string;
}

export interface OrderReport {
  /** The authority's order id; null for a checkout the window refused itself (never placed). */
  readonly id: string | null;
  readonly replica: string;
  readonly key: string;
  readonly status: OrderStatus;
  /** Charges the payment service made (a refunded one still counts): never more than 1. */
  readonly charges: number;
  readonly refunds: number;
  readonly shipments: number;
  readonly reason?: string;
  readonly steps: readonly OrderStepReport[];
}

/** A stale holder's call the store or a service refused: its token was below the fence. */
export interface FencedReport {
  readonly token: number;
  readonly fence: number;
  readonly resource: FencedEvent['resource'];
  readonly point: FencedEvent['point'];
  readonly orderId?: string;
}

export interface CheckoutReport {
  readonly orders: readonly OrderReport[];
  /** Calls of holders that had lost their lease, refused (fencing tokens at work). */
  readonly fenced: readonly FencedReport[];
  /** product → quantity available at the authority. */
  readonly stock: Readonly<Record<string, number>>;
}

export function checkoutReport(
  status: AuthorityStatus | undefined,
  refusals: readonly CheckoutRefusal[],
): CheckoutReport {
  const placed: OrderReport[] = (status?.orders ?? []).map((order) => ({
    id: order.id,
    replica: order.replica,
    key: order.key,
    status: order.status,
    charges: order.charges,
    refunds: order.refunds,
    shipments: order.shipments,
    ...(order.reason === undefined ? {} : { reason: order.reason }),
    steps: order.steps.map(({ step, outcome, token, detail }) => ({
      step,
      outcome,
      token,
      ...(detail === undefined ? {} : { detail }),
    })),
  }));
  const refused: OrderReport[] = refusals.map(({ replica, key, reason }) => ({
    id: null,
    replica,
    key,
    status: 'refused',
    charges: 0,
    refunds: 0,
    shipments: 0,
    reason,
    steps: [],
  }));
  const fenced = (status?.fenced ?? []).map(({ at: _at, ...event }) => event);
  return { orders: [...placed, ...refused], fenced, stock: { ...(status?.stock ?? {}) } };
}

/** The checkout part of a report in words (orders with their steps, stock, fenced calls). */
export function formatCheckout(report: Partial<CheckoutReport>): string[] {
  const lines = ["Checkout (strong: through the room's authority):"];
  const orders = report.orders ?? [];
  if (orders.length === 0) lines.push('  no orders');
  for (const order of orders) {
    const why = order.reason === undefined ? '' : ` — ${order.reason}`;
    lines.push(
      `  ${order.id ?? '(not placed)'} ${order.replica} key ${order.key}: ${order.status}, charged ${order.charges}×${why}`,
    );
    if (order.steps.length > 0)
      lines.push(`    ${order.steps.map((s) => `${s.step} ${s.outcome} (token ${s.token})`).join(' → ')}`);
  }
  const stock = Object.entries(report.stock ?? {});
  lines.push(
    `  stock at the authority: ${stock.length === 0 ? 'none' : stock.map(([p, q]) => `${p} ${q}`).join(', ')}`,
  );
  for (const f of report.fenced ?? [])
    lines.push(`  fenced: token ${f.token} < fence ${f.fence} at the ${f.resource} (${f.point})`);
  return lines;
}
