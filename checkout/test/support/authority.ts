/** An authority on a virtual clock with simulated services, for tests. */
import {
  AuthorityHost,
  type AuthorityStore,
  type CheckoutPolicy,
  LocalAuthorityStore,
  SimulatedService,
} from '../../src/index.ts';
import { VirtualClock } from './virtual-time.ts';

export interface TestAuthority {
  readonly clock: VirtualClock;
  readonly store: AuthorityStore;
  readonly payment: SimulatedService;
  readonly shipment: SimulatedService;
  readonly host: AuthorityHost;
}

export const TEST_POLICY: Partial<CheckoutPolicy> = { leaseMs: 3000, callTimeoutMs: 1000, maxAttempts: 3 };

export async function startAuthority(
  options: {
    clock?: VirtualClock;
    store?: AuthorityStore;
    payment?: SimulatedService;
    shipment?: SimulatedService;
    policy?: Partial<CheckoutPolicy>;
  } = {},
): Promise<TestAuthority> {
  const clock = options.clock ?? new VirtualClock(1_000_000);
  const store = options.store ?? new LocalAuthorityStore();
  const payment = options.payment ?? new SimulatedService('payment', clock);
  const shipment = options.shipment ?? new SimulatedService('shipment', clock);
  const host = await AuthorityHost.start({
    store,
    payment,
    shipment,
    clock,
    policy: { ...TEST_POLICY, ...options.policy },
  });
  return { clock, store, payment, shipment, host };
}
