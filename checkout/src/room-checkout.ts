/**
 * Everything checkout needs in one room, wired the same way wherever the room lives (the relay, the
 * scenario simulation): the authority store, the simulated payment and shipment services, the host, and
 * the status that the admin API, the scenario report and the UI read.
 */

import type { ProductStock } from './authority-state.ts';
import { type AuthorityStore, LocalAuthorityStore } from './authority-store.ts';
import type { Clock } from './clock.ts';
import type { FaultMode } from './faults.ts';
import type { FencedEvent } from './holder.ts';
import { AuthorityHost, type HolderInfo } from './host.ts';
import type { LeaseKeeper } from './lease.ts';
import type { Lines } from './lines.ts';
import { type FinalStatus, type OrderRecord, type OrderStatus, type StepEntry, statusOf } from './order.ts';
import type { GatePoint } from './pause-gate.ts';
import type { CheckoutPolicy } from './policy.ts';
import { SimulatedService } from './services.ts';

export const SIMULATED_SERVICES = ['payment', 'shipment'] as const;
export type SimulatedServiceName = (typeof SIMULATED_SERVICES)[number];

export interface RoomCheckoutParts {
  readonly store: AuthorityStore;
  readonly payment: SimulatedService;
  readonly shipment: SimulatedService;
}

/** An order as reports show it: its end, what the services did for it, and its steps (without times). */
export interface OrderSummary {
  readonly id: string;
  readonly replica: string;
  readonly key: string;
  readonly status: OrderStatus;
  readonly lines: Lines;
  readonly amount: number;
  /** Charges the payment service made for it (a refunded one still counts): never more than 1. */
  readonly charges: number;
  readonly refunds: number;
  readonly shipments: number;
  /** The fencing token of the holder that last wrote it. */
  readonly token: number;
  readonly reason?: string;
  readonly steps: readonly Omit<StepEntry, 'at'>[];
}

export interface AuthorityStatus {
  /** product → quantity available at the authority. */
  readonly stock: Readonly<Record<string, number>>;
  readonly products: readonly (readonly [string, ProductStock])[];
  readonly orders: readonly OrderSummary[];
  readonly holders: readonly HolderInfo[];
  readonly fenced: readonly FencedEvent[];
  readonly fence: number;
  readonly seq: number;
}

export class RoomCheckout {
  private constructor(
    readonly host: AuthorityHost,
    readonly parts: RoomCheckoutParts,
    private readonly closeParts: () => Promise<void>,
  ) {}

  /**
   * Start a room's checkout on `parts` (durable ones from `openFileCheckout`), or in memory. Sagas the
   * store left open are taken over at once.
   */
  static async open(options: {
    readonly clock: Clock;
    readonly policy?: Partial<CheckoutPolicy>;
    readonly parts?: RoomCheckoutParts & { close(): Promise<void> };
    /** Shared leases (the relay cluster's, held in Redis); default: local ones continuing from the store's fence. */
    readonly leases?: LeaseKeeper;
  }): Promise<RoomCheckout> {
    const parts = options.parts ?? {
      store: new LocalAuthorityStore(),
      payment: new SimulatedService('payment', options.clock),
      shipment: new SimulatedService('shipment', options.clock),
      close: async () => {},
    };
    const host = await AuthorityHost.start({
      ...parts,
      clock: options.clock,
      policy: options.policy ?? {},
      ...(options.leases === undefined ? {} : { leases: options.leases }),
    });
    return new RoomCheckout(host, parts, () => parts.close());
  }

  /** The next `calls` calls of a service fail (`error`) or lose their answer (`timeout`). */
  fail(service: SimulatedServiceName, calls: number, mode: FaultMode = 'error'): void {
    this.parts[service].faults.failNext(calls, mode);
  }

  setLatency(service: SimulatedServiceName, ms: number): void {
    this.parts[service].faults.setLatency(ms);
  }

  pause(before?: GatePoint): void {
    this.host.pause(before);
  }

  resume(): void {
    this.host.resume();
  }

  /** Sagas under way (not final): a room with some keeps its authority loaded. */
  async openSagas(): Promise<number> {
    return (await this.host.view()).orders.filter((o) => statusOf(o.phase) === 'in-progress').length;
  }

  async status(): Promise<AuthorityStatus> {
    const view = await this.host.view();
    const { payment, shipment } = this.parts;
    const stock: Record<string, number> = {};
    for (const [product, value] of view.products) stock[product] = value.available;
    return {
      stock,
      products: view.products,
      orders: view.orders.map((order) => summarize(order, payment, shipment)),
      holders: view.holders,
      fenced: view.fenced,
      fence: view.fence,
      seq: view.seq,
    };
  }

  /** Stop the authority, then close its stores (durable ones keep where every saga was). */
  async close(): Promise<void> {
    await this.host.close();
    await this.closeParts();
  }
}

function summarize(order: OrderRecord, payment: SimulatedService, shipment: SimulatedService): OrderSummary {
  const effects = payment.effects().filter((e) => e.orderId === order.id && e.status !== 'void');
  return {
    id: order.id,
    replica: order.replica,
    key: order.key,
    status: statusOf(order.phase),
    lines: order.lines,
    amount: order.amount,
    charges: effects.length,
    refunds: effects.filter((e) => e.status === 'reversed').length,
    shipments: shipment.effectsFor(order.id),
    token: order.token,
    ...(order.reason === undefined ? {} : { reason: order.reason }),
    steps: order.history.map(({ at: _at, ...step }) => step),
  };
}

/** Whether an order summary is final. */
export function isFinalSummary(order: OrderSummary): order is OrderSummary & { status: FinalStatus } {
  return order.status !== 'in-progress';
}
