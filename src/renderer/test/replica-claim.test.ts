import { describe, expect, it } from 'vitest';
import {
  broadcastHolds,
  type ChannelLike,
  claimReplica,
  type LockManagerLike,
  takenNotice,
  webLockHolds,
} from '../platform/replica-claim.ts';

/** The Web Locks API's exclusive `ifAvailable` requests, for tabs in one process. */
class FakeLocks {
  private readonly held = new Set<string>();

  /** The lock manager one tab sees; `close()` is the tab going away (its locks are released). */
  tab(): LockManagerLike & { close(): void } {
    const mine = new Set<string>();
    return {
      request: async (name, _options, callback) => {
        if (this.held.has(name)) return callback(null);
        this.held.add(name);
        mine.add(name);
        return callback({ name });
      },
      close: () => {
        for (const name of mine) this.held.delete(name);
        mine.clear();
      },
    };
  }
}

function ids(...values: string[]): () => string {
  let i = 0;
  return () => values[i++ % values.length] as string;
}

describe('claimReplica with Web Locks', () => {
  it('gives the first tab its replica and a duplicated tab a new one, with a message saying why', async () => {
    const locks = new FakeLocks();
    const first = await claimReplica(webLockHolds(locks.tab()), 'alice', ids('r-1'));
    expect(first).toEqual({ replicaId: 'alice' });
    expect(takenNotice(first)).toBeUndefined();

    const duplicate = await claimReplica(webLockHolds(locks.tab()), 'alice', ids('alice', 'r-2'));
    expect(duplicate).toEqual({ replicaId: 'r-2', taken: 'alice' });
    expect(takenNotice(duplicate)).toMatch(/^Replica alice is already open in another tab.*new replica, r-2/);

    // A tab opened on the duplicate's new id (a duplicate of the duplicate) gets yet another.
    const third = locks.tab();
    expect((await claimReplica(webLockHolds(third), 'r-2', ids('r-3'))).replicaId).toBe('r-3');
  });

  it('frees a replica when the tab holding it goes away', async () => {
    const locks = new FakeLocks();
    const tab = locks.tab();
    await claimReplica(webLockHolds(tab), 'bob', ids('x'));
    tab.close();
    expect(await claimReplica(webLockHolds(locks.tab()), 'bob', ids('y'))).toEqual({ replicaId: 'bob' });
  });

  it('gives up with a clear error when no id can be had', async () => {
    const locks = new FakeLocks();
    await claimReplica(webLockHolds(locks.tab()), 'same', ids('x'));
    await expect(claimReplica(webLockHolds(locks.tab()), 'same', ids('same'))).rejects.toThrow(
      /replica same is open in another tab and no free replica id was found/,
    );
  });
});

describe('claimReplica over a BroadcastChannel (no Web Locks)', () => {
  const channels: ChannelLike[] = [];
  const channel = (): ChannelLike => {
    const c = new BroadcastChannel(`converge-replicas-test-${process.pid}`) as unknown as ChannelLike;
    channels.push(c);
    return c;
  };
  let nonce = 0;
  const options = { waitMs: 40, nonce: () => ++nonce };

  it('answers a claim for a held id, and settles two claims at once by nonce', async () => {
    try {
      const tabA = broadcastHolds(channel(), options);
      expect(await claimReplica(tabA, 'alice', ids('r-a'))).toEqual({ replicaId: 'alice' });
      const tabB = broadcastHolds(channel(), options);
      expect(await claimReplica(tabB, 'alice', ids('r-b'))).toEqual({ replicaId: 'r-b', taken: 'alice' });

      const tabC = broadcastHolds(channel(), options);
      const tabD = broadcastHolds(channel(), options);
      const [c, d] = await Promise.all([
        claimReplica(tabC, 'carol', ids('r-c')),
        claimReplica(tabD, 'carol', ids('r-d')),
      ]);
      expect([c.replicaId, d.replicaId].filter((id) => id === 'carol')).toHaveLength(1);
    } finally {
      for (const c of channels.splice(0)) c.close();
    }
  });
});
