/**
 * The external services the saga calls — a payment service (perform = charge, undo = refund) and a
 * shipment service (perform = create a shipment, undo = cancel it) — and their simulation: a ledger
 * (in memory, or durable so it outlives a relay crash as a real provider would) behind injectable
 * failures, timeouts and latency.
 */
import { type Clock, sleep } from './clock.ts';
import {
  effectsOf,
  type FenceReply,
  type LedgerCommand,
  type LedgerState,
  ledgerMachine,
  type PerformReply,
  type UndoReply,
} from './effect-ledger.ts';
import { FaultPlan } from './faults.ts';
import type { FencedResource, FencingToken } from './fencing.ts';
import { MachineStore, type MachineStoreOptions } from './machine-store.ts';

export type { FenceReply, PerformReply, UndoReply } from './effect-ledger.ts';

export interface EffectRequest {
  /** The idempotency key: the same key is the same charge (or shipment), however often it is asked. */
  readonly key: string;
  readonly orderId: string;
  readonly token: FencingToken;
}

/** What the saga needs from a service. */
export interface SagaService {
  readonly resource: Extract<FencedResource, 'payment' | 'shipment'>;
  /** A new holder announces its token, so a predecessor's later calls are refused. */
  fence(token: FencingToken): Promise<FenceReply>;
  /** Charge / create the shipment. */
  perform(request: EffectRequest & { readonly what: string }): Promise<PerformReply>;
  /** Refund / cancel; voids the key when nothing was done under it. */
  undo(request: EffectRequest): Promise<UndoReply>;
}

export const SERVICE_VERBS = {
  payment: { perform: 'charge', undo: 'refund', idPrefix: 'ch' },
  shipment: { perform: 'ship', undo: 'cancel', idPrefix: 'sh' },
} as const;

/** Never settles: an answer that was lost on its way back. */
const lost = <T>(): Promise<T> => new Promise<T>(() => {});

export class SimulatedService implements SagaService {
  readonly faults = new FaultPlan();
  private readonly ledger: MachineStore<LedgerState, LedgerCommand>;

  constructor(
    readonly resource: 'payment' | 'shipment',
    private readonly clock: Clock,
    options: MachineStoreOptions = {},
  ) {
    this.ledger = MachineStore.open(
      ledgerMachine(`${resource} ledger`, SERVICE_VERBS[resource].idPrefix),
      options,
    );
  }

  /** What could not be replayed when the ledger was opened. */
  get damage(): readonly string[] {
    return this.ledger.damage;
  }

  fence(token: FencingToken): Promise<FenceReply> {
    return this.ledger.run({ kind: 'fence', token });
  }

  perform(request: EffectRequest & { readonly what: string }): Promise<PerformReply> {
    return this.call({ kind: 'perform', ...request }, `${this.resource} failed (injected failure)`);
  }

  undo(request: EffectRequest): Promise<UndoReply> {
    return this.call({ kind: 'undo', ...request }, `${this.resource} unavailable (injected failure)`);
  }

  /** Effects made for an order (a charge and its refund count once): the report's `charges`. */
  effectsFor(orderId: string): number {
    return this.ledger.read((state) => effectsOf(state, orderId).length);
  }

  /** Every effect the ledger holds, for checks and the UI. */
  effects(): ReturnType<typeof effectsOf> {
    return this.ledger.read((state) => [...state.effects.values()]);
  }

  fenceToken(): FencingToken {
    return this.ledger.read((state) => state.fence);
  }

  close(): Promise<void> {
    return this.ledger.close();
  }

  private async call<R extends PerformReply | UndoReply>(
    command: LedgerCommand,
    failure: string,
  ): Promise<R> {
    const fault = this.faults.take();
    const latency = this.faults.latencyMs;
    if (fault === 'error') {
      if (latency > 0) await sleep(this.clock, latency);
      return { kind: 'failed', reason: failure } as R;
    }
    const reply = await this.ledger.run<R>(command);
    if (fault === 'timeout') return lost();
    if (latency > 0) await sleep(this.clock, latency);
    return reply;
  }
}
