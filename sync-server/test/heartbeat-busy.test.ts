/**
 * The heartbeat and a client busy taking in what it was sent (issue 19): a browser answers a ping only
 * once it has read the frames before it, which a window applying a 1 MB paste does not for seconds. Such
 * a connection gets a few more ticks; one that was sent little is dropped at the first missed answer.
 * The relay's heartbeat runs on a virtual clock; the clients answer no ping (`autoPong: false`).
 */
import { VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { BUSY_BYTES, Liveness, MAX_GRACE_TICKS } from '../src/liveness.ts';
import { closeRelaysAfterEach, credentialFor, RawClient, startRelay, waitFor } from './support.ts';

closeRelaysAfterEach();

const HEARTBEAT_MS = 10_000;

describe('Liveness', () => {
  it('drops a connection that was sent little at its first missed answer', () => {
    const liveness = new Liveness();
    liveness.sent(BUSY_BYTES - 1);
    expect([liveness.tick(), liveness.tick()]).toEqual(['ping', 'dead']);
  });

  it('waits a tick more per BUSY_BYTES it was sent since it last answered, then drops it', () => {
    const liveness = new Liveness();
    liveness.sent(3 * BUSY_BYTES);
    const ticks = Array.from({ length: 5 }, () => liveness.tick());
    expect(ticks).toEqual(['ping', 'wait', 'wait', 'wait', 'dead']);
  });

  it(`waits at most ${MAX_GRACE_TICKS} ticks more, however much it was sent`, () => {
    const liveness = new Liveness();
    liveness.sent(100 * BUSY_BYTES);
    const ticks = Array.from({ length: MAX_GRACE_TICKS + 2 }, () => liveness.tick());
    expect(ticks).toEqual(['ping', ...Array(MAX_GRACE_TICKS).fill('wait'), 'dead']);
  });

  it('starts afresh once the connection answers', () => {
    const liveness = new Liveness();
    liveness.sent(BUSY_BYTES);
    expect([liveness.tick(), liveness.tick()]).toEqual(['ping', 'wait']);
    liveness.heard();
    // What was sent before the answer is taken in: a quiet connection again.
    expect([liveness.tick(), liveness.tick()]).toEqual(['ping', 'dead']);
  });
});

/** A client that reads every frame but answers no ping (as a browser whose page does not read). */
async function silentClient(relay: { url: string }, room: string, node: string): Promise<RawClient> {
  const token = await credentialFor(relay as never, room, node);
  const client = await RawClient.adopt(
    new WebSocket(relay.url, { autoPong: false, maxPayload: 64 * 1024 * 1024 }),
  );
  client.hello(room, node, { token });
  await client.waitFor((f) => f.type === 'welcome', `welcome for ${node}`);
  return client;
}

describe('the relay heartbeat', () => {
  it('keeps a connection busy with a large frame for a few ticks, not one quiet one', async () => {
    const clock = new VirtualClock(0);
    const { relay } = await startRelay({ clock, limits: { heartbeatMs: HEARTBEAT_MS } });
    const busy = await silentClient(relay, 'room', 'busy');
    const quiet = await silentClient(relay, 'other', 'quiet');
    const sender = await RawClient.join(relay, 'room', 'sender');
    // Two ticks' worth: the busy one gets two more than the quiet one.
    sender.data('sender', 'busy', 0, new Uint8Array(2 * BUSY_BYTES + 1024));
    await busy.waitFor((f) => f.type === 'data' && f.payload.length > BUSY_BYTES, 'the large frame');
    const tick = async (): Promise<void> => {
      clock.advance(HEARTBEAT_MS);
      // A close goes out over the real sockets: give it a moment to arrive.
      await new Promise((resolve) => setTimeout(resolve, 50));
    };
    await tick(); // pings both
    await tick(); // neither answered: the quiet one is dropped
    await waitFor(() => quiet.closed !== undefined, 'quiet closed');
    expect(quiet.closed?.code).toBe(1001);
    await tick();
    expect(busy.closed).toBeUndefined();
    await tick();
    await waitFor(() => busy.closed !== undefined, 'busy closed after its grace');
    expect(busy.closed?.code).toBe(1001);
    expect(relay.stats().violations['heartbeat-timeout']).toBeGreaterThanOrEqual(2);
  });
});
