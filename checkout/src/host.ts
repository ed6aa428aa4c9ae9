/**
 * A room's authority as the rest of the system sees it: one address that places orders, sets stock and
 * answers reads, whichever holder serves it at the moment. It watches the current holder's lease and,
 * when it runs out (the holder was paused, or is cut off), gives the authority to a new holder with the
 * next fencing token, which takes every open saga over; requests the old holder had not answered are
 * asked again of the new one (they are idempotent). In a cluster this is the room's owner election.
 */
import type { AuthoritySnapshot, ProductSet, ProductStock } from './authority-state.ts';
import type { AuthorityStore } from './authority-store.ts';
import type { Clock } from './clock.ts';
import type { FencingToken } from './fencing.ts';
import { AuthorityHolder, type FencedEvent, HolderRetired } from './holder.ts';
import { type LeaseKeeper, LocalLeaseKeeper, leaseRuns } from './lease.ts';
import type { Lines } from './lines.ts';
import type { OrderRecord } from './order.ts';
import type { GatePoint } from './pause-gate.ts';
import { type CheckoutPolicy, DEFAULT_POLICY } from './policy.ts';
import type { SagaService } from './services.ts';

export type HolderState = 'serving' | 'paused' | 'pausing' | 'deposed' | 'retired';

export interface HolderInfo {
  readonly name: string;
  readonly token: FencingToken;
  readonly state: HolderState;
  readonly leaseExpiresAt: number;
  /** Where a paused holder froze; why a retired one stopped. */
  readonly detail?: string;
}

export type AuthorityEvent =
  | { readonly type: 'order'; readonly order: OrderRecord }
  | {
      readonly type: 'stock';
      readonly product: string;
      readonly stock: ProductStock;
      readonly version: number;
    }
  | { readonly type: 'fenced'; readonly event: FencedEvent }
  | { readonly type: 'holders'; readonly holders: readonly HolderInfo[] }
  | { readonly type: 'problem'; readonly message: string };

export type CheckoutReply =
  | { readonly kind: 'placed'; readonly order: OrderRecord; readonly created: boolean }
  | { readonly kind: 'refused'; readonly reason: string };

/** What the UI and reports show of the authority. */
export interface AuthorityView extends AuthoritySnapshot {
  readonly holders: readonly HolderInfo[];
  readonly fenced: readonly FencedEvent[];
}

export interface AuthorityHostOptions {
  readonly store: AuthorityStore;
  readonly payment: SagaService;
  readonly shipment: SagaService;
  readonly clock: Clock;
  readonly policy?: Partial<CheckoutPolicy>;
  /** Shared leases (a cluster); default: local ones, tokens continuing from the store's fence. */
  readonly leases?: LeaseKeeper;
}

/** Fenced attempts kept for the UI and reports. */
const MAX_FENCED_EVENTS = 100;

export class AuthorityHostClosedError extends Error {
  override readonly name = 'AuthorityHostClosedError';
}

export class AuthorityHost {
  readonly policy: CheckoutPolicy;
  private current: AuthorityHolder | undefined;
  /** Every holder this host started, oldest first (the deposed ones may still wake up). */
  private readonly holders: AuthorityHolder[] = [];
  private readonly deposed = new Set<AuthorityHolder>();
  private readonly fencedEvents: FencedEvent[] = [];
  private readonly listeners = new Set<(event: AuthorityEvent) => void>();
  /** Resolves when the holder changes: requests waiting on the old one ask the new one. */
  private changed: { promise: Promise<void>; resolve: () => void } = deferred();
  private promoting: Promise<void> | undefined;
  /** The holder taking over now (not yet in `holders`): closing retires it too. */
  private takingOver: AuthorityHolder | undefined;
  private cancelWatch: () => void = () => {};
  private closed = false;

  private constructor(
    private readonly options: AuthorityHostOptions,
    private readonly leases: LeaseKeeper,
  ) {
    this.policy = { ...DEFAULT_POLICY, ...options.policy };
  }

  /** Start the authority: the first holder takes over (resuming any saga the store left open). */
  static async start(options: AuthorityHostOptions): Promise<AuthorityHost> {
    const leases =
      options.leases ?? new LocalLeaseKeeper(options.clock, (await options.store.snapshot()).fence);
    const host = new AuthorityHost(options, leases);
    await host.promote();
    host.watch();
    return host;
  }

  subscribe(listener: (event: AuthorityEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Place (or, for a key used before, find) the order of `replica`'s checkout. */
  async checkout(replica: string, key: string, lines: Lines): Promise<CheckoutReply> {
    const reply = await this.route((holder) => holder.checkout(replica, key, lines));
    return reply.ok
      ? { kind: 'placed', order: reply.value.order, created: reply.value.created }
      : { kind: 'refused', reason: reply.reason };
  }

  /** Set the stock of `product` at the authority (what is available to reserve). */
  async setStock(product: string, quantity: number, price?: number): Promise<ProductSet> {
    const reply = await this.route((holder) => holder.setStock(product, quantity, price));
    if (!reply.ok) throw new RangeError(reply.reason);
    return reply.value;
  }

  /** Everything the authority holds, read from the store (no holder needed), with its holders. */
  async view(): Promise<AuthorityView> {
    return {
      ...(await this.options.store.snapshot()),
      holders: this.holderInfo(),
      fenced: [...this.fencedEvents],
    };
  }

  /** Pause the holder that serves now: at once, or when it reaches `before`. */
  pause(before?: GatePoint): void {
    this.current?.gate.pause(before);
    this.emitHolders();
  }

  /** Resume every paused holder; a deposed one then runs into its fence. */
  resume(): void {
    for (const holder of this.holders) holder.gate.resume();
    this.emitHolders();
  }

  holderInfo(): HolderInfo[] {
    return this.holders.map((holder) => {
      const retired = holder.retired;
      const state: HolderState =
        retired !== undefined
          ? 'retired'
          : holder.gate.isPaused()
            ? 'paused'
            : this.deposed.has(holder)
              ? 'deposed'
              : holder.gate.isArmed()
                ? 'pausing'
                : 'serving';
      const detail = retired ?? (state === 'paused' ? pausedDetail(holder.gate.pausedAt()) : undefined);
      return {
        name: holder.name,
        token: holder.token,
        state,
        leaseExpiresAt: holder.leaseExpiresAt,
        ...(detail === undefined ? {} : { detail }),
      };
    });
  }

  /** Stop every holder (their sagas stop at their next step; the store keeps where they were). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.cancelWatch();
    for (const holder of this.holders) holder.retire('the authority closed');
    this.takingOver?.retire('the authority closed');
    this.changed.resolve();
    await this.promoting?.catch(() => {});
    // A paused holder never settles; the others stop at their next step.
    await Promise.all(this.holders.filter((h) => !h.gate.isPaused()).map((h) => h.settled()));
  }

  // ---- holders --------------------------------------------------------------------------------------------

  /** Run `request` on the current holder; when it retires or is deposed first, on the next one. */
  private async route<T>(request: (holder: AuthorityHolder) => Promise<T>): Promise<T> {
    for (;;) {
      if (this.closed) throw new AuthorityHostClosedError('the authority is closed');
      const holder = this.current;
      const changed = this.changed.promise;
      if (holder === undefined || holder.retired !== undefined || this.deposed.has(holder)) {
        await (this.promoting ?? changed);
        continue;
      }
      const outcome = await Promise.race([
        request(holder).then(
          (value) => ({ kind: 'value' as const, value }),
          (error: unknown) => ({ kind: 'error' as const, error }),
        ),
        changed.then(() => ({ kind: 'changed' as const })),
      ]);
      if (outcome.kind === 'value') return outcome.value;
      if (outcome.kind === 'error' && !(outcome.error instanceof HolderRetired)) throw outcome.error;
    }
  }

  private watch(): void {
    let cancelled = false;
    let cancelTimer: () => void = () => {};
    const period = Math.max(1, Math.floor(this.policy.leaseMs / 4));
    const tick = (): void => {
      if (cancelled) return;
      cancelTimer = this.options.clock.setTimeout(tick, period);
      const holder = this.current;
      const lost =
        holder === undefined ||
        holder.retired !== undefined ||
        !leaseRuns(
          { holder: holder.name, token: holder.token, expiresAt: holder.leaseExpiresAt },
          this.options.clock.now(),
        );
      if (lost && this.promoting === undefined) void this.promote().catch(() => {});
    };
    cancelTimer = this.options.clock.setTimeout(tick, period);
    this.cancelWatch = () => {
      cancelled = true;
      cancelTimer();
    };
  }

  /** Give the authority to a new holder, once the current one's lease has run out. */
  private promote(): Promise<void> {
    this.promoting ??= this.promoteOnce().finally(() => {
      this.promoting = undefined;
    });
    return this.promoting;
  }

  private async promoteOnce(): Promise<void> {
    const name = `holder-${this.holders.length + 1}`;
    const lease = await this.leases.acquire(name, this.policy.leaseMs);
    if (lease === undefined || this.closed) return; // another lease still runs: the watch tries again
    const previous = this.current;
    if (previous !== undefined && previous.retired === undefined) this.deposed.add(previous);
    let holder: AuthorityHolder;
    try {
      holder = await AuthorityHolder.takeOver(
        {
          store: this.options.store,
          payment: this.options.payment,
          shipment: this.options.shipment,
          leases: this.leases,
          clock: this.options.clock,
          policy: this.policy,
          events: {
            order: (order) => this.emit({ type: 'order', order }),
            stock: (set) => this.emit({ type: 'stock', ...set }),
            fenced: (event) => {
              this.fencedEvents.push(event);
              if (this.fencedEvents.length > MAX_FENCED_EVENTS) this.fencedEvents.shift();
              this.emit({ type: 'fenced', event });
            },
            retired: () => queueMicrotask(() => this.emitHolders()),
            problem: (message) => this.emit({ type: 'problem', message }),
          },
        },
        lease,
        (started) => {
          this.takingOver = started;
        },
      );
    } catch (error) {
      this.emit({ type: 'problem', message: `${name} could not take over: ${String(error)}` });
      return;
    } finally {
      this.takingOver = undefined;
    }
    this.holders.push(holder);
    this.current = holder;
    const changed = this.changed;
    this.changed = deferred();
    changed.resolve();
    this.emitHolders();
  }

  private emitHolders(): void {
    this.emit({ type: 'holders', holders: this.holderInfo() });
  }

  private emit(event: AuthorityEvent): void {
    for (const listener of this.listeners) listener(event);
  }
}

function pausedDetail(at: GatePoint | undefined): string {
  return at === undefined ? 'paused' : `paused before ${at}`;
}

function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = () => {};
  const promise = new Promise<void>((r) => {
    resolve = r;
  });
  return { promise, resolve };
}
