/**
 * Closing the authority ends in bounded time even when a holder is still taking over: the relay's
 * shutdown (web mode, Electron, the relay CLI) waits for it. A take-over whose lease was lost while a
 * service did not answer used to retry the service forever, and close() waited for it forever.
 */
import { describe, expect, it } from 'vitest';
import {
  AuthorityHost,
  type FenceReply,
  type FencingToken,
  type Lease,
  type LeaseKeeper,
  LocalAuthorityStore,
  LocalLeaseKeeper,
  SimulatedService,
} from '../src/index.ts';
import { TEST_POLICY } from './support/authority.ts';
import { resolveIn, runFor, VirtualClock } from './support/virtual-time.ts';

/** A payment service whose fence can stop answering (a service down while a holder takes over). */
class SilentFenceService extends SimulatedService {
  silent = false;
  override fence(token: FencingToken): Promise<FenceReply> {
    return this.silent ? new Promise<FenceReply>(() => {}) : super.fence(token);
  }
}

/** Local leases whose renewals can be refused (the lease lost: taken by another node, a stalled process). */
class LosableLeases implements LeaseKeeper {
  renewals = true;
  constructor(private readonly inner: LeaseKeeper) {}
  acquire(holder: string, ttlMs: number): Promise<Lease | undefined> {
    return this.inner.acquire(holder, ttlMs);
  }
  renew(lease: Lease, ttlMs: number): Promise<Lease | undefined> {
    return this.renewals ? this.inner.renew(lease, ttlMs) : Promise.resolve(undefined);
  }
  current(): Promise<Lease | undefined> {
    return this.inner.current();
  }
}

async function startWithSilentPayment() {
  const clock = new VirtualClock(1_000_000);
  const leases = new LosableLeases(new LocalLeaseKeeper(clock));
  const payment = new SilentFenceService('payment', clock);
  const host = await AuthorityHost.start({
    store: new LocalAuthorityStore(),
    payment,
    shipment: new SimulatedService('shipment', clock),
    clock,
    policy: TEST_POLICY,
    leases,
  });
  const problems: string[] = [];
  host.subscribe((event) => {
    if (event.type === 'problem') problems.push(event.message);
  });
  return { clock, leases, payment, host, problems };
}

describe('closing the authority', () => {
  it('ends when a take-over lost its lease while the payment service did not answer', async () => {
    const a = await startWithSilentPayment();
    // Holder 1 loses its lease; holder 2 takes over, but the payment service does not answer its
    // fence and holder 2's lease is lost meanwhile too.
    a.payment.silent = true;
    a.leases.renewals = false;
    await runFor(a.clock, 10_000);
    await resolveIn(a.clock, a.host.close(), 30_000);
    expect(a.problems.some((p) => /holder-2 could not take over: .*lease \(token 2\) was lost/.test(p))).toBe(
      true,
    );
  });

  it('ends while a take-over waits for a service that does not answer', async () => {
    const a = await startWithSilentPayment();
    a.payment.silent = true;
    a.leases.renewals = false;
    // Holder 1's lease runs out; holder 2 takes over with renewals back, waiting on the payment service.
    await runFor(a.clock, 3_500);
    a.leases.renewals = true;
    await runFor(a.clock, 3_000);
    expect(a.host.holderInfo().map((h) => h.name)).toEqual(['holder-1']);
    await resolveIn(a.clock, a.host.close(), 30_000);
    expect(a.problems.some((p) => /could not take over: .*the authority closed/.test(p))).toBe(true);
  });
});
