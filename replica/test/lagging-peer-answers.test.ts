/**
 * Anti-entropy to a lagging peer (issue 19): every round the peer repeats its hello, and a peer that has
 * not yet taken in a large paste reports the same state each time. Answering each report with the whole
 * paste again (Yjs, LWW, Loro and Converge did) filled the lagging window's connection with copies of
 * one megabyte until the relay dropped frames. A large answer to the same peer state now waits a
 * bounded back-off, so it goes once while it is on its way, and a dropped one is still repaired.
 */
import type { Transport } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import type { Replica } from '../src/replica.ts';
import { runTimers, steppedNow } from '../testing/clock-steps.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

const PASTE_BYTES = 300_000;
const PARAGRAPH = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ';
const PASTE = PARAGRAPH.repeat(Math.ceil(PASTE_BYTES / PARAGRAPH.length));
const ANTI_ENTROPY_MS = 2_000;

function bytesSent(replica: Replica): Map<string, number> {
  return new Map(replica.engineNames.map((name) => [name, replica.trafficOf(name).bytesSent]));
}

function expectConverged(replicas: readonly Replica[]): void {
  const [first] = replicas as [Replica];
  for (const name of first.engineNames) {
    const digests = replicas.map((r) => r.digest(name));
    expect(new Set(digests).size, `${name}: ${digests.join(' ')}`).toBe(1);
  }
}

describe('a peer that takes seconds to receive a large paste', () => {
  it('is not sent again by any engine with every anti-entropy round, and converges', async () => {
    // Every engine's copy of the paste takes about 1.3 s down the reader's link: all five, about 6 s,
    // three anti-entropy rounds. Nothing is dropped (a long queue), so every byte sent is counted here.
    const { clock, open } = simRoom({
      seed: 41,
      startMs: 1_700_000_000_000,
      latencyMs: 20,
      antiEntropyMs: ANTI_ENTROPY_MS,
      backpressure: { bytesPerMs: 250, maxQueuedBytes: 1 << 30 },
    });
    const typist = await open('r-typist', { monotonicNow: steppedNow(5) });
    const reader = await open('r-reader', { monotonicNow: steppedNow(5) });
    await runTimers(clock, 5_000);
    await typist.apply({ op: 'text.insert', pos: 0, text: PASTE });
    // The paste has gone out (an engine that fell behind on it may also have answered a hello with it
    // before forwarding it: two copies); the reader's link is still busy with it.
    await runTimers(clock, 2_500);
    const shipped = bytesSent(typist);
    // Two more of the reader's hellos, each reporting the state it had: the copies on their way are not
    // sent again before the back-off has passed (main sent LWW's twice more, Loro's three times). What
    // the reader lacks after taking in part of a copy is answered at once, so less than a copy may go.
    await runTimers(clock, 5_000);
    for (const name of typist.engineNames) {
      const again = typist.trafficOf(name).bytesSent - (shipped.get(name) ?? 0);
      expect(again, `${name}: ${again} bytes more for a ${PASTE.length}-byte paste`).toBeLessThan(
        PASTE.length,
      );
    }
    await runTimers(clock, 30_000);
    expectConverged([typist, reader]);
  }, 120_000);
});

/**
 * `inner`, except that frames of `minBytes` or more are dropped while `dropping()` holds (as the relay
 * drops frames to a slow consumer, without the link going down: no new session, no new handshake).
 */
function droppingLarge(inner: Transport, minBytes: number, dropping: () => boolean): Transport {
  const keep = (payload: Uint8Array) => payload.length < minBytes || !dropping();
  const broadcast = inner.broadcast?.bind(inner);
  return {
    nodeId: inner.nodeId,
    start: (handlers) => inner.start(handlers),
    send: (to, channel, payload) => {
      if (keep(payload)) inner.send(to, channel, payload);
    },
    ...(broadcast === undefined
      ? {}
      : {
          broadcast: (channel: number, payload: Uint8Array) => {
            if (keep(payload)) broadcast(channel, payload);
          },
        }),
    reachable: () => inner.reachable(),
    state: () => inner.state(),
    close: () => inner.close(),
  };
}

describe('a large answer dropped on its way', () => {
  it('is sent again once the back-off has passed, and every engine converges', async () => {
    const { clock, net, open } = simRoom({
      seed: 43,
      startMs: 1_700_000_000_000,
      latencyMs: 20,
      antiEntropyMs: ANTI_ENTROPY_MS,
    });
    // The paste and every large answer to it are lost for 20 s (past the first back-off), with the link up.
    let dropUntil = 0;
    const typist = await open('r-typist', {
      transport: droppingLarge(net.transport('r-typist'), 16 * 1024, () => clock.now() < dropUntil),
      monotonicNow: steppedNow(5),
    });
    const reader = await open('r-reader', { monotonicNow: steppedNow(5) });
    await runTimers(clock, 5_000);
    dropUntil = clock.now() + 20_000;
    await typist.apply({ op: 'text.insert', pos: 0, text: PASTE });
    await runTimers(clock, 19_000);
    const lacking = reader.engineNames.filter((name) => reader.textLength(name) === 0);
    expect(lacking.length, 'engines whose paste was lost so far').toBeGreaterThan(0);
    await runTimers(clock, 120_000);
    expectConverged([typist, reader]);
  }, 120_000);
});
