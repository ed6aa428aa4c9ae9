import { afterEach, describe, expect, it } from 'vitest';
import { RoomCheckout } from '../src/index.ts';
import { resolveIn, runFor, VirtualClock } from './support/virtual-time.ts';

let room: RoomCheckout | undefined;
afterEach(async () => {
  await room?.close();
  room = undefined;
});

describe("a room's checkout status", () => {
  it('summarizes each order with what the services did for it, and the stock at the authority', async () => {
    const clock = new VirtualClock(0);
    room = await RoomCheckout.open({ clock, policy: { leaseMs: 1000 } });
    await resolveIn(clock, room.host.setStock('kiwi', 2));
    room.fail('shipment', 1);
    room.setLatency('payment', 100);
    await resolveIn(clock, room.host.checkout('a', 'k1', [['kiwi', 1]]));
    await resolveIn(clock, room.host.checkout('b', 'k1', [['kiwi', 1]]));
    expect(await room.openSagas()).toBe(2);
    await runFor(clock, 5000);
    const status = await room.status();
    expect(status.stock).toEqual({ kiwi: 1 });
    expect(
      status.orders.map(({ id, replica, key, status: s, charges, refunds, shipments }) => ({
        id,
        replica,
        key,
        status: s,
        charges,
        refunds,
        shipments,
      })),
    ).toEqual([
      { id: 'o1', replica: 'a', key: 'k1', status: 'compensated', charges: 1, refunds: 1, shipments: 0 },
      { id: 'o2', replica: 'b', key: 'k1', status: 'confirmed', charges: 1, refunds: 0, shipments: 1 },
    ]);
    expect(status.orders[0]?.steps.at(-1)).toEqual({ step: 'release', outcome: 'done', token: 1 });
    expect(status.holders).toMatchObject([{ token: 1, state: 'serving' }]);
    expect(await room.openSagas()).toBe(0);
  });
});
