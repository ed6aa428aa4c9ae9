/**
 * The order saga as pure functions: which transitions are legal from which phase (the store enforces
 * them, so no holder — stale, buggy or not — can move an order backwards or skip a step), and what a
 * holder does next with an order (so a holder that takes over after a crash or a lost lease simply asks
 * the same question of every order it finds).
 *
 *   placed ─reserve─▶ reserved ─charge─▶ charging ─▶ charged ─ship─▶ shipping ─▶ shipped ─commit─▶ confirmed
 *      └─(short)─▶ refused        └────(failed / no answer)───┴──────────────┴─▶ compensating
 *   compensating: cancel the shipment if one may exist, refund if a charge may exist, release the stock
 *   ─▶ compensated
 */
import type { FencingToken } from './fencing.ts';
import type { OrderRecord, Possibility, SagaStep, StepEntry, StepOutcome } from './order.ts';
import { isFinal } from './order.ts';

/** What a holder reports about a service call; the store turns it into the order's next phase. */
export type SagaTransition =
  | { readonly kind: 'charge-started' }
  | { readonly kind: 'charge-unknown'; readonly detail: string }
  | { readonly kind: 'charged'; readonly chargeId: string }
  | { readonly kind: 'charge-failed'; readonly reason: string; readonly definitive: boolean }
  | { readonly kind: 'ship-started' }
  | { readonly kind: 'ship-unknown'; readonly detail: string }
  | { readonly kind: 'shipped'; readonly shipmentId: string }
  | { readonly kind: 'ship-failed'; readonly reason: string; readonly definitive: boolean }
  | { readonly kind: 'shipment-cancelled'; readonly shipmentId?: string }
  | { readonly kind: 'refunded'; readonly chargeId?: string };

/** Transitions the store makes itself, together with the stock change they belong to. */
export type StockTransition =
  | { readonly kind: 'reserved' }
  | { readonly kind: 'reserve-refused'; readonly reason: string }
  | { readonly kind: 'committed' }
  | { readonly kind: 'released' };

export type OrderTransition = SagaTransition | StockTransition;

export interface Stamp {
  readonly token: FencingToken;
  readonly at: number;
  readonly version: number;
}

/** Why `transition` is not legal for `order` now, or undefined when it is. */
export function transitionProblem(order: OrderRecord, transition: OrderTransition): string | undefined {
  const phase = order.phase;
  const expect = (...phases: OrderRecord['phase'][]): string | undefined =>
    phases.includes(phase)
      ? undefined
      : `order ${order.id} is ${phase}; ${transition.kind} needs ${phases.join(' or ')}`;
  switch (transition.kind) {
    case 'reserved':
    case 'reserve-refused':
      return expect('placed');
    case 'charge-started':
      return expect('reserved', 'charging');
    case 'charge-unknown':
    case 'charged':
    case 'charge-failed':
      return expect('charging');
    case 'ship-started':
      return expect('charged', 'shipping');
    case 'ship-unknown':
    case 'shipped':
    case 'ship-failed':
      return expect('shipping');
    case 'committed':
      return expect('shipped');
    case 'shipment-cancelled':
      return (
        expect('compensating') ??
        (order.shipment === 'none' ? `order ${order.id} has no shipment to cancel` : undefined)
      );
    case 'refunded':
      return (
        expect('compensating') ??
        (order.charge === 'none' ? `order ${order.id} has no charge to refund` : undefined)
      );
    case 'released':
      return (
        expect('compensating') ??
        (order.charge !== 'none' || order.shipment !== 'none'
          ? `order ${order.id} still has a ${order.charge !== 'none' ? 'charge' : 'shipment'} to undo`
          : undefined)
      );
  }
}

/** The order after a legal transition (check `transitionProblem` first). */
export function applyTransition(order: OrderRecord, transition: OrderTransition, stamp: Stamp): OrderRecord {
  const entry = (step: SagaStep, outcome: StepOutcome, detail?: string): StepEntry => ({
    step,
    outcome,
    token: stamp.token,
    at: stamp.at,
    ...(detail === undefined ? {} : { detail }),
  });
  const next = (changes: Partial<OrderRecord>, ...entries: StepEntry[]): OrderRecord => ({
    ...order,
    ...changes,
    token: stamp.token,
    version: stamp.version,
    history: [...order.history, ...entries],
  });
  // Only a definitive "no" to the one and only attempt rules the effect out; after an attempt whose
  // answer never came, it stays possible until a compensation (refund, cancel) settles it.
  const afterFailure = (attempts: number, definitive: boolean): Possibility =>
    definitive && attempts <= 1 ? 'none' : 'maybe';
  switch (transition.kind) {
    case 'reserved':
      return next({ phase: 'reserved' }, entry('reserve', 'done'));
    case 'reserve-refused':
      return next(
        { phase: 'refused', reason: transition.reason },
        entry('reserve', 'refused', transition.reason),
      );
    case 'charge-started': {
      const attempt = order.attempts.charge + 1;
      return next(
        {
          phase: 'charging',
          attempts: { ...order.attempts, charge: attempt },
          charge: chargePossible(order),
        },
        entry('charge', 'started', `attempt ${attempt}`),
      );
    }
    case 'charge-unknown':
      return next({}, entry('charge', 'unknown', transition.detail));
    case 'charged':
      return next(
        { phase: 'charged', charge: 'done', chargeId: transition.chargeId },
        entry('charge', 'done', transition.chargeId),
      );
    case 'charge-failed':
      return next(
        {
          phase: 'compensating',
          charge: afterFailure(order.attempts.charge, transition.definitive),
          reason: transition.reason,
        },
        entry('charge', 'failed', transition.reason),
      );
    case 'ship-started': {
      const attempt = order.attempts.ship + 1;
      return next(
        { phase: 'shipping', attempts: { ...order.attempts, ship: attempt }, shipment: 'maybe' },
        entry('ship', 'started', `attempt ${attempt}`),
      );
    }
    case 'ship-unknown':
      return next({}, entry('ship', 'unknown', transition.detail));
    case 'shipped':
      return next(
        { phase: 'shipped', shipment: 'done', shipmentId: transition.shipmentId },
        entry('ship', 'done', transition.shipmentId),
      );
    case 'ship-failed':
      return next(
        {
          phase: 'compensating',
          shipment: afterFailure(order.attempts.ship, transition.definitive),
          reason: transition.reason,
        },
        entry('ship', 'failed', transition.reason),
      );
    case 'shipment-cancelled':
      return next(
        { shipment: 'none' },
        entry('cancel-shipment', 'done', transition.shipmentId ?? 'no shipment existed; its key is void'),
      );
    case 'refunded':
      return next(
        { charge: 'none' },
        entry('refund', 'done', transition.chargeId ?? 'nothing was charged; the key is void'),
      );
    case 'committed':
      return next({ phase: 'confirmed' }, entry('commit', 'done'));
    case 'released':
      return next({ phase: 'compensated' }, entry('release', 'done'));
  }
}

/** A charge attempt makes a charge possible; it stays so until a refund settles it. */
function chargePossible(order: OrderRecord): Possibility {
  return order.charge === 'done' ? 'done' : 'maybe';
}

export type SagaAction =
  | { readonly kind: 'reserve' }
  | { readonly kind: 'charge'; readonly attempt: number }
  | { readonly kind: 'ship'; readonly attempt: number }
  | { readonly kind: 'give-up'; readonly step: 'charge' | 'ship'; readonly attempts: number }
  | { readonly kind: 'commit' }
  | { readonly kind: 'cancel-shipment' }
  | { readonly kind: 'refund' }
  | { readonly kind: 'release' }
  | { readonly kind: 'none' };

/**
 * What a holder does next with `order`. A charge or shipment whose answer never came is asked again with
 * the same idempotency key (so it happens at most once) until `maxAttempts`, then the saga compensates.
 */
export function nextAction(order: OrderRecord, maxAttempts: number): SagaAction {
  if (isFinal(order.phase)) return { kind: 'none' };
  switch (order.phase) {
    case 'placed':
      return { kind: 'reserve' };
    case 'reserved':
      return { kind: 'charge', attempt: 1 };
    case 'charging':
      return order.attempts.charge < maxAttempts
        ? { kind: 'charge', attempt: order.attempts.charge + 1 }
        : { kind: 'give-up', step: 'charge', attempts: order.attempts.charge };
    case 'charged':
      return { kind: 'ship', attempt: 1 };
    case 'shipping':
      return order.attempts.ship < maxAttempts
        ? { kind: 'ship', attempt: order.attempts.ship + 1 }
        : { kind: 'give-up', step: 'ship', attempts: order.attempts.ship };
    case 'shipped':
      return { kind: 'commit' };
    case 'compensating':
      if (order.shipment !== 'none') return { kind: 'cancel-shipment' };
      if (order.charge !== 'none') return { kind: 'refund' };
      return { kind: 'release' };
    default:
      return { kind: 'none' };
  }
}
