/**
 * A reopened window's worker posts 'ready' (its texts) before any text is hashed: the digests, which
 * hash every text (~50–90 ms for 1 MB), come in the next snapshot, in a task of its own (issue 19).
 * The ready snapshot holds no digest rather than a stale one; the next one holds the replica's.
 */
import { VirtualClock } from '@converge/protocol';
import { ENGINES, MemoryByteLog, MemoryStore, Replica, SimNetwork } from '@converge/replica';
import { FeedEngine } from '@converge/replica/engine-kit';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ToPage } from '../worker/protocol.ts';
import { ReplicaHost } from '../worker/replica-host.ts';

const ID = 'r-reopen';
const TEXT = 'a reopened document\n'.repeat(500);

async function storedText(): Promise<MemoryByteLog> {
  const log = new MemoryByteLog();
  const clock = new VirtualClock(1_700_000_000_000);
  const writer = await Replica.open({
    id: ID,
    transport: new SimNetwork({ timers: clock, seed: 1 }).transport(ID),
    timers: clock,
    store: new MemoryStore(log),
    engines: ENGINES,
    antiEntropyMs: 0,
  });
  await writer.apply({ op: 'text.insert', pos: 0, text: TEXT });
  await writer.close();
  return log;
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("a reopened window's worker", () => {
  it("posts 'ready' without hashing a text, then a snapshot with the current digests", async () => {
    const log = await storedText();
    // Every engine's text hash (`digest()` and the views' shared-text keys go through it).
    const hashes = vi.spyOn(FeedEngine.prototype, 'textHash');
    const posted: ToPage[] = [];
    let hashedBeforeReady: number | undefined;
    const host = await ReplicaHost.open({
      init: {
        type: 'init',
        config: { relayUrl: 'ws://127.0.0.1:9/', adminUrl: '', room: 'room', replicaId: ID },
        store: { kind: 'indexeddb', name: 'unused' },
      },
      store: new MemoryStore(log),
      post: (message) => {
        if (message.type === 'ready') hashedBeforeReady = hashes.mock.calls.length;
        posted.push(message);
      },
      // Never answered: the window stays off the network (no socket is opened).
      credential: () => new Promise<string>(() => {}),
    });
    try {
      const ready = posted.find((m) => m.type === 'ready');
      if (ready?.type !== 'ready') throw new Error('no ready posted');
      expect(ready.texts.converge?.text).toBe(TEXT);
      expect(hashedBeforeReady).toBe(0);
      const readyStatus = ready.snapshot.status as { engines: Record<string, { digest?: string }> };
      expect(readyStatus.engines.converge).toBeDefined();
      expect(readyStatus.engines.converge?.digest).toBeUndefined();

      // The next snapshot, in a later task, carries the digest the replica reports now.
      const digestOf = (message: ToPage): string | undefined =>
        message.type === 'snapshot'
          ? (message.snapshot.status as { engines?: Record<string, { digest?: string }> } | undefined)
              ?.engines?.converge?.digest
          : undefined;
      for (let i = 0; i < 50 && !posted.some((m) => digestOf(m) !== undefined); i++)
        await new Promise((resolve) => setTimeout(resolve, 0));
      const withDigest = posted.find((m) => digestOf(m) !== undefined);
      expect(withDigest).toBeDefined();
      host.handle({ type: 'request', id: 1, request: { what: 'window-state' } });
      for (let i = 0; i < 50 && !posted.some((m) => m.type === 'reply'); i++)
        await new Promise((resolve) => setTimeout(resolve, 0));
      const reply = posted.find((m) => m.type === 'reply');
      if (reply?.type !== 'reply' || !reply.ok) throw new Error('no window state');
      const state = reply.value as { digests: Record<string, string> };
      expect(digestOf(withDigest as ToPage)).toBe(state.digests.converge);
      expect(hashes.mock.calls.length).toBeGreaterThan(0);
    } finally {
      await host.close();
    }
  });
});
