/**
 * An order: one checkout of one window's cart, identified by the window's replica id and its idempotency
 * key, carried through the saga (reserve → charge → ship → commit, or the compensations) by the authority.
 * The record is what the authority stores; every change to it is one store write, stamped with the fencing
 * token of the holder that made it and the store's sequence number (its version).
 */
import type { FencingToken } from './fencing.ts';
import type { Lines } from './lines.ts';

/** Where an order is in its saga. */
export const ORDER_PHASES = [
  'placed',
  'reserved',
  'charging',
  'charged',
  'shipping',
  'shipped',
  'compensating',
  'confirmed',
  'refused',
  'compensated',
] as const;
export type OrderPhase = (typeof ORDER_PHASES)[number];

/** The outcome a window and a report see: the three ends, or still under way. */
export type OrderStatus = 'in-progress' | 'confirmed' | 'refused' | 'compensated';
export type FinalStatus = Exclude<OrderStatus, 'in-progress'>;

export function statusOf(phase: OrderPhase): OrderStatus {
  return phase === 'confirmed' || phase === 'refused' || phase === 'compensated' ? phase : 'in-progress';
}

export function isFinal(phase: OrderPhase): boolean {
  return statusOf(phase) !== 'in-progress';
}

/** The saga's steps: forward ones, then compensations. */
export const SAGA_STEPS = [
  'place',
  'reserve',
  'charge',
  'ship',
  'commit',
  'cancel-shipment',
  'refund',
  'release',
] as const;
export type SagaStep = (typeof SAGA_STEPS)[number];

/** started: the call is about to be made; unknown: no answer in time (it may have happened). */
export const STEP_OUTCOMES = ['started', 'done', 'failed', 'refused', 'unknown'] as const;
export type StepOutcome = (typeof STEP_OUTCOMES)[number];

export interface StepEntry {
  readonly step: SagaStep;
  readonly outcome: StepOutcome;
  /** The fencing token of the holder that recorded it. */
  readonly token: FencingToken;
  readonly at: number;
  readonly detail?: string;
}

/** Whether an effect may exist at a service: none, maybe (asked, answer unknown), done (confirmed). */
export type Possibility = 'none' | 'maybe' | 'done';

export interface OrderRecord {
  /** o1, o2, …: numbered by the authority in the order they were placed. */
  readonly id: string;
  readonly replica: string;
  /** The idempotency key the window chose; (replica, key) names the order. */
  readonly key: string;
  readonly lines: Lines;
  /** In cents. */
  readonly amount: number;
  readonly placedAt: number;
  readonly phase: OrderPhase;
  readonly attempts: { readonly charge: number; readonly ship: number };
  readonly charge: Possibility;
  readonly shipment: Possibility;
  readonly chargeId?: string;
  readonly shipmentId?: string;
  /** Why it was refused or compensated. */
  readonly reason?: string;
  /** The fencing token of the last write. */
  readonly token: FencingToken;
  /** The store's sequence number at the last write: larger is newer, across holders and restarts. */
  readonly version: number;
  readonly history: readonly StepEntry[];
}

/** Money as the UI shows it: cents to "12.50". */
export function formatAmount(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}
