import { describe, expect, it } from 'vitest';
import { SimulatedService } from '../src/index.ts';
import { resolveIn, runFor, VirtualClock } from './support/virtual-time.ts';

const request = { key: 'o1', orderId: 'o1', token: 1, what: '1.00' };

describe('a simulated service', () => {
  it('answers a repeated request with the first answer: one charge', async () => {
    const payment = new SimulatedService('payment', new VirtualClock());
    expect(await payment.perform(request)).toEqual({ kind: 'done', id: 'ch-1', replay: false });
    expect(await payment.perform(request)).toEqual({ kind: 'done', id: 'ch-1', replay: true });
    expect(payment.effectsFor('o1')).toBe(1);
  });

  it('refunds once, and voids a key nothing was charged under', async () => {
    const payment = new SimulatedService('payment', new VirtualClock());
    await payment.perform(request);
    expect(await payment.undo(request)).toEqual({ kind: 'undone', id: 'ch-1' });
    expect(await payment.undo(request)).toEqual({ kind: 'undone', id: 'ch-1' });
    expect(await payment.perform(request)).toEqual({ kind: 'void', reason: 'key o1 was undone' });
    const other = { ...request, key: 'o2', orderId: 'o2' };
    expect(await payment.undo(other)).toMatchObject({ kind: 'nothing' });
    // A charge that arrives after its refund (a late retry) is refused.
    expect(await payment.perform(other)).toEqual({ kind: 'void', reason: 'key o2 was voided' });
    expect(payment.effectsFor('o2')).toBe(0);
  });

  it('refuses fencing tokens below the largest it has seen', async () => {
    const shipment = new SimulatedService('shipment', new VirtualClock());
    expect(await shipment.fence(3)).toEqual({ kind: 'ok' });
    expect(await shipment.perform({ ...request, token: 2 })).toEqual({ kind: 'fenced', fence: 3 });
    expect(await shipment.fence(2)).toEqual({ kind: 'fenced', fence: 3 });
    expect(await shipment.perform({ ...request, token: 4 })).toMatchObject({ kind: 'done', id: 'sh-1' });
    expect(shipment.fenceToken()).toBe(4);
  });

  it('fails the next calls on request: an error does nothing, a timeout does it and loses the answer', async () => {
    const clock = new VirtualClock();
    const payment = new SimulatedService('payment', clock);
    payment.faults.failNext(1, 'error');
    payment.faults.failNext(1, 'timeout');
    payment.faults.setLatency(50);
    expect(await resolveIn(clock, payment.perform(request))).toEqual({
      kind: 'failed',
      reason: 'payment failed (injected failure)',
    });
    expect(payment.effectsFor('o1')).toBe(0);
    let answered = false;
    void payment.perform(request).then(() => {
      answered = true;
    });
    await runFor(clock, 10_000);
    expect(answered).toBe(false);
    expect(payment.effectsFor('o1')).toBe(1);
    const started = clock.now();
    expect(await resolveIn(clock, payment.perform(request))).toMatchObject({ kind: 'done', replay: true });
    expect(clock.now() - started).toBe(50);
  });
});
