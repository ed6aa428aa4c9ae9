/**
 * A holder of a room's authority: the process that, under one lease and its fencing token, places
 * orders and drives their sagas. It keeps nothing of its own: every decision is read back from the store
 * (the truth), so a successor that takes over — after a crash, or because this one's lease ran out —
 * continues every open saga from what the store says.
 *
 * Every effect (a store write, a service call) first checks the lease, then passes the pause gate, then
 * carries the token. A holder paused between the check and the effect wakes up believing its lease
 * still runs; its token is what stops it: the store and the services refuse it, and it retires.
 */
import type {
  AuthoritySnapshot,
  CommandKind,
  CommandOf,
  CommandResults,
  Placed,
  ProductSet,
} from './authority-state.ts';
import type { AuthorityStore } from './authority-store.ts';
import { type Clock, sleep, type Timed, withTimeout } from './clock.ts';
import type { FencedResource, FencingToken } from './fencing.ts';
import { type Lease, type LeaseKeeper, leaseRuns } from './lease.ts';
import type { Lines } from './lines.ts';
import { describeLines } from './lines.ts';
import { formatAmount, isFinal, type OrderRecord } from './order.ts';
import { type GatePoint, PauseGate } from './pause-gate.ts';
import type { CheckoutPolicy } from './policy.ts';
import { nextAction, type SagaTransition } from './saga.ts';
import type { PerformReply, SagaService, UndoReply } from './services.ts';

/** A stale holder's write refused by a resource. */
export interface FencedEvent {
  /** The stale holder's token. */
  readonly token: FencingToken;
  readonly resource: FencedResource;
  /** What it tried. */
  readonly point: GatePoint;
  readonly orderId?: string;
  /** The larger token the resource had seen. */
  readonly fence: FencingToken;
  readonly at: number;
}

export interface HolderEvents {
  order(order: OrderRecord): void;
  stock(set: ProductSet): void;
  fenced(event: FencedEvent): void;
  /** The holder stopped serving (fenced, its lease lost, closed). */
  retired(reason: string): void;
  /** Something failed that is retried (a store write error, an unexpected reply). */
  problem(message: string): void;
}

export interface HolderDeps {
  readonly store: AuthorityStore;
  readonly payment: SagaService;
  readonly shipment: SagaService;
  readonly leases: LeaseKeeper;
  readonly clock: Clock;
  readonly policy: CheckoutPolicy;
  readonly events: HolderEvents;
}

/** A holder's answer: a fenced write never returns (the holder retires and throws `HolderRetired`). */
export type HolderReply<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly kind: 'invalid'; readonly reason: string };

/** Thrown out of a holder's work once it retired: whoever asked must ask the next holder. */
export class HolderRetired extends Error {
  override readonly name = 'HolderRetired';
}

export class AuthorityHolder {
  readonly gate = new PauseGate();
  private retiredBecause: string | undefined;
  private readonly running = new Map<string, Promise<void>>();
  private cancelRenewal: () => void = () => {};
  private lease: Lease;

  private constructor(
    private readonly deps: HolderDeps,
    lease: Lease,
  ) {
    this.lease = lease;
  }

  get token(): FencingToken {
    return this.lease.token;
  }

  get name(): string {
    return this.lease.holder;
  }

  /** When its lease runs out, as far as it knows. */
  get leaseExpiresAt(): number {
    return this.lease.expiresAt;
  }

  get retired(): string | undefined {
    return this.retiredBecause;
  }

  /**
   * Take the authority over under `lease`: fence the store (reading what it holds in the same step) and
   * the services, then drive every saga that is not finished.
   */
  static async takeOver(
    deps: HolderDeps,
    lease: Lease,
    /** Sees the holder before the take-over's first step, so its owner can retire it meanwhile. */
    started: (holder: AuthorityHolder) => void = () => {},
  ): Promise<AuthorityHolder> {
    const holder = new AuthorityHolder(deps, lease);
    started(holder);
    holder.renewEvery(Math.max(1, Math.floor(deps.policy.leaseMs / 3)));
    try {
      const snapshot = await holder.write('take-over', undefined, { kind: 'fence' });
      if (!snapshot.ok) throw new Error(`the store refused the take-over: ${snapshot.reason}`);
      await holder.fenceService(deps.payment);
      await holder.fenceService(deps.shipment);
      for (const order of snapshot.value.orders) holder.drive(order);
      return holder;
    } catch (error) {
      holder.retire(error instanceof HolderRetired ? error.message : `take-over failed: ${String(error)}`);
      throw error;
    }
  }

  /** Place the order of (replica, key) — or find it, for a retry — and drive its saga. */
  async checkout(replica: string, key: string, lines: Lines): Promise<HolderReply<Placed>> {
    const reply = await this.write('place', undefined, { kind: 'place', replica, key, lines });
    if (reply.ok) this.drive(reply.value.order);
    return reply;
  }

  async setStock(product: string, quantity: number, price?: number): Promise<HolderReply<ProductSet>> {
    const reply = await this.write('set-stock', undefined, {
      kind: 'set-stock',
      product,
      quantity,
      ...(price === undefined ? {} : { price }),
    });
    return reply;
  }

  /** Orders whose saga this holder is driving now. */
  activeOrders(): string[] {
    return [...this.running.keys()];
  }

  /** Stop serving: running sagas stop at their next step, renewals stop. Idempotent. */
  retire(reason: string): void {
    if (this.retiredBecause !== undefined) return;
    this.retiredBecause = reason;
    this.cancelRenewal();
    this.deps.events.retired(reason);
  }

  /** Wait for the sagas under way to stop (after `retire`); a paused holder's never do. */
  async settled(): Promise<void> {
    await Promise.all(this.running.values());
  }

  // ---- sagas --------------------------------------------------------------------------------------------

  private drive(order: OrderRecord): void {
    if (isFinal(order.phase) || this.running.has(order.id) || this.retiredBecause !== undefined) return;
    const run = this.runSaga(order)
      .catch((error: unknown) => {
        if (!(error instanceof HolderRetired))
          this.deps.events.problem(`saga of ${order.id}: ${String(error)}`);
      })
      .finally(() => this.running.delete(order.id));
    this.running.set(order.id, run);
  }

  private async runSaga(first: OrderRecord): Promise<void> {
    const { policy, clock } = this.deps;
    let order = first;
    let delay = policy.retryDelayMs;
    while (!isFinal(order.phase)) {
      this.ensureServing();
      let next: OrderRecord;
      try {
        next = await this.step(order);
      } catch (error) {
        if (error instanceof HolderRetired) throw error;
        this.deps.events.problem(`${order.id}: ${String(error)}`);
        next = order;
      }
      if (next.version === order.version) {
        // Nothing changed (a service that keeps failing, a store error): wait, longer each time.
        await sleep(clock, delay);
        delay = Math.min(delay * 2, policy.maxRetryDelayMs);
        next = (await this.reload(order.id)) ?? next;
      } else {
        delay = policy.retryDelayMs;
      }
      order = next;
    }
  }

  /** Take one step of the saga; returns the order as the store has it afterwards. */
  private async step(order: OrderRecord): Promise<OrderRecord> {
    const action = nextAction(order, this.deps.policy.maxAttempts);
    const { payment, shipment } = this.deps;
    switch (action.kind) {
      case 'none':
        return order;
      case 'reserve':
        return this.orderWrite('reserve', order, { kind: 'reserve', order: order.id });
      case 'commit':
        return this.orderWrite('commit', order, { kind: 'commit', order: order.id });
      case 'release':
        return this.orderWrite('release', order, { kind: 'release', order: order.id });
      case 'give-up':
        return this.advance(order, {
          kind: action.step === 'charge' ? 'charge-failed' : 'ship-failed',
          reason: `no answer from ${action.step === 'charge' ? 'payment' : 'shipment'} after ${action.attempts} attempts`,
          definitive: false,
        });
      case 'charge': {
        const started = await this.advance(order, { kind: 'charge-started' });
        const answer = await this.call(payment, 'charge', order.id, () =>
          payment.perform({
            key: order.id,
            orderId: order.id,
            token: this.token,
            what: formatAmount(order.amount),
          }),
        );
        return this.advance(started, this.performOutcome('charge', answer));
      }
      case 'ship': {
        const started = await this.advance(order, { kind: 'ship-started' });
        const answer = await this.call(shipment, 'ship', order.id, () =>
          shipment.perform({
            key: order.id,
            orderId: order.id,
            token: this.token,
            what: describeLines(order.lines),
          }),
        );
        return this.advance(started, this.performOutcome('ship', answer));
      }
      case 'refund':
      case 'cancel-shipment': {
        const service = action.kind === 'refund' ? payment : shipment;
        const answer = await this.call(service, action.kind, order.id, () =>
          service.undo({ key: order.id, orderId: order.id, token: this.token }),
        );
        const undone = undoOutcome(answer);
        if (undone === undefined) return order; // failed or no answer: asked again after a pause
        return this.advance(
          order,
          action.kind === 'refund'
            ? { kind: 'refunded', ...(undone.id === undefined ? {} : { chargeId: undone.id }) }
            : { kind: 'shipment-cancelled', ...(undone.id === undefined ? {} : { shipmentId: undone.id }) },
        );
      }
    }
  }

  private performOutcome(step: 'charge' | 'ship', answer: Timed<PerformReply> | undefined): SagaTransition {
    const timeout = `no answer within ${this.deps.policy.callTimeoutMs} ms`;
    if (answer === undefined || answer.kind === 'timeout')
      return {
        kind: step === 'charge' ? 'charge-unknown' : 'ship-unknown',
        detail: answer ? timeout : 'the call failed',
      };
    const reply = answer.value;
    switch (reply.kind) {
      case 'done':
        return step === 'charge'
          ? { kind: 'charged', chargeId: reply.id }
          : { kind: 'shipped', shipmentId: reply.id };
      case 'failed':
      case 'void':
        return {
          kind: step === 'charge' ? 'charge-failed' : 'ship-failed',
          reason: reply.reason,
          definitive: true,
        };
      case 'fenced':
        throw new HolderRetired('fenced'); // handled in call(); never reached
    }
  }

  // ---- effects ------------------------------------------------------------------------------------------

  /** A saga bookkeeping write; an invalid one means the order moved on: read it again. */
  private async advance(order: OrderRecord, transition: SagaTransition): Promise<OrderRecord> {
    return this.orderWrite('record', order, { kind: 'advance', order: order.id, transition });
  }

  private async orderWrite(
    point: GatePoint,
    order: OrderRecord,
    command: CommandOf<'reserve' | 'commit' | 'release' | 'advance'>,
  ): Promise<OrderRecord> {
    const reply = await this.write(point, order.id, command);
    if (reply.ok) return reply.value.order;
    this.deps.events.problem(`${order.id}: ${reply.reason}`);
    return (await this.reload(order.id)) ?? order;
  }

  private async reload(orderId: string): Promise<OrderRecord | undefined> {
    const snapshot: AuthoritySnapshot = await this.deps.store.snapshot();
    return snapshot.orders.find((o) => o.id === orderId);
  }

  /** A fenced store write retires the holder; an invalid one is returned. */
  private async write<K extends CommandKind>(
    point: GatePoint,
    orderId: string | undefined,
    command: CommandOf<K>,
  ): Promise<HolderReply<CommandResults[K]>> {
    const reply = await this.effect(point, () =>
      this.deps.store.execute({ token: this.token, at: this.deps.clock.now(), command }),
    );
    if (!reply.ok && reply.kind === 'fenced') this.fencedBy('stock store', point, orderId, reply.fence);
    if (reply.ok) this.announce(reply.value as CommandResults[CommandKind]);
    return reply as HolderReply<CommandResults[K]>;
  }

  /** Tell the host what a write changed: the order, and the stock it moved. */
  private announce(value: CommandResults[CommandKind]): void {
    if ('stock' in value && 'order' in value) {
      this.deps.events.order(value.order);
      for (const [product, stock] of value.stock)
        this.deps.events.stock({ product, stock, version: value.order.version });
    } else if ('created' in value) {
      if (value.created) this.deps.events.order(value.order);
    } else if ('product' in value) {
      this.deps.events.stock(value);
    }
  }

  /** A service call with a timeout; a fenced answer retires the holder; a rejection counts as no answer. */
  private async call<R extends PerformReply | UndoReply>(
    service: SagaService,
    point: GatePoint,
    orderId: string,
    request: () => Promise<R>,
  ): Promise<Timed<R> | undefined> {
    let answer: Timed<R>;
    try {
      answer = await this.effect(point, () =>
        withTimeout(this.deps.clock, request(), this.deps.policy.callTimeoutMs),
      );
    } catch (error) {
      if (error instanceof HolderRetired) throw error;
      this.deps.events.problem(`${service.resource} call for ${orderId} failed: ${String(error)}`);
      return undefined;
    }
    if (answer.kind === 'answer' && answer.value.kind === 'fenced')
      this.fencedBy(service.resource, point, orderId, answer.value.fence);
    return answer;
  }

  private async fenceService(service: SagaService): Promise<void> {
    for (
      let delay = this.deps.policy.retryDelayMs;
      ;
      delay = Math.min(delay * 2, this.deps.policy.maxRetryDelayMs)
    ) {
      // No answer is retried; a holder that retired meanwhile (its lease lost, the host closed) stops.
      const answer = await this.effect('take-over', () =>
        withTimeout(this.deps.clock, service.fence(this.token), this.deps.policy.callTimeoutMs),
      ).catch((error: unknown) => {
        if (error instanceof HolderRetired) throw error;
        return undefined;
      });
      if (answer?.kind === 'answer') {
        if (answer.value.kind === 'fenced')
          this.fencedBy(service.resource, 'take-over', undefined, answer.value.fence);
        return;
      }
      await sleep(this.deps.clock, delay);
    }
  }

  /** Lease check, then the pause gate, then the effect: the order that makes fencing necessary. */
  private async effect<T>(point: GatePoint, run: () => Promise<T>): Promise<T> {
    this.ensureServing();
    if (!leaseRuns(this.lease, this.deps.clock.now())) {
      this.retire(`its lease (token ${this.token}) ran out`);
      this.ensureServing();
    }
    await this.gate.pass(point);
    return run();
  }

  private fencedBy(
    resource: FencedResource,
    point: GatePoint,
    orderId: string | undefined,
    fence: FencingToken,
  ): never {
    this.deps.events.fenced({
      token: this.token,
      resource,
      point,
      ...(orderId === undefined ? {} : { orderId }),
      fence,
      at: this.deps.clock.now(),
    });
    this.retire(`fenced off by the ${resource}: token ${this.token} < ${fence}`);
    throw new HolderRetired(this.retiredBecause);
  }

  private ensureServing(): void {
    if (this.retiredBecause !== undefined) throw new HolderRetired(this.retiredBecause);
  }

  private renewEvery(ms: number): void {
    let cancelled = false;
    let cancelTimer: () => void = () => {};
    const tick = (): void => {
      if (cancelled) return;
      cancelTimer = this.deps.clock.setTimeout(tick, ms);
      // A paused process renews nothing: that is how its lease runs out.
      if (this.gate.isPaused()) return;
      this.deps.leases.renew(this.lease, this.deps.policy.leaseMs).then(
        (renewed) => {
          if (renewed === undefined) this.retire(`its lease (token ${this.token}) was lost`);
          else this.lease = renewed;
        },
        (error: unknown) => this.deps.events.problem(`lease renewal failed: ${String(error)}`),
      );
    };
    cancelTimer = this.deps.clock.setTimeout(tick, ms);
    this.cancelRenewal = () => {
      cancelled = true;
      cancelTimer();
    };
  }
}

function undoOutcome(answer: Timed<UndoReply> | undefined): { id: string | undefined } | undefined {
  if (answer?.kind !== 'answer') return undefined;
  const reply = answer.value;
  if (reply.kind === 'undone') return { id: reply.id };
  if (reply.kind === 'nothing') return { id: undefined };
  return undefined;
}
