/** How long things may take at the authority, and how often a step is tried again. */
export interface CheckoutPolicy {
  /** A holder's lease; renewed every third of it while the holder runs. */
  readonly leaseMs: number;
  /** A service call without an answer by then counts as unknown (it may have happened). */
  readonly callTimeoutMs: number;
  /** Charge and ship attempts (the same idempotency key each time) before the saga compensates. */
  readonly maxAttempts: number;
  /** Wait before asking again; doubles for compensations that keep failing, up to `maxRetryDelayMs`. */
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
}

export const DEFAULT_POLICY: CheckoutPolicy = {
  leaseMs: 3000,
  callTimeoutMs: 1000,
  maxAttempts: 3,
  retryDelayMs: 100,
  maxRetryDelayMs: 2000,
};
