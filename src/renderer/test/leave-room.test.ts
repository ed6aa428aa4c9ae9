import { VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { leaveThenGo } from '../platform/leave-room.ts';

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

function deferred(): { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe('leaveThenGo: a web tab leaves its room before loading another', () => {
  it('goes only once the session has closed', async () => {
    const clock = new VirtualClock(0);
    const closing = deferred();
    const order: string[] = [];
    leaveThenGo(
      () => {
        order.push('leave');
        return closing.promise;
      },
      () => order.push('go'),
      clock,
      5_000,
    );
    clock.advance(4_999);
    await flush();
    expect(order).toEqual(['leave']);
    closing.resolve();
    await flush();
    clock.advance(10_000);
    await flush();
    expect(order).toEqual(['leave', 'go']);
  });

  it('goes after the limit when closing never ends, and after a failed close', async () => {
    const clock = new VirtualClock(0);
    const went: string[] = [];
    leaveThenGo(
      () => new Promise<void>(() => {}),
      () => went.push('hung'),
      clock,
      5_000,
    );
    const failing = deferred();
    leaveThenGo(
      () => failing.promise,
      () => went.push('failed'),
      clock,
      5_000,
    );
    failing.reject(new Error('the replica is closed'));
    await flush();
    expect(went).toEqual(['failed']);
    clock.advance(5_000);
    await flush();
    expect(went).toEqual(['failed', 'hung']);
  });
});
