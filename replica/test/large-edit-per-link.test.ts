/**
 * What a large edit costs each link of a room (issue 19): three windows and the room's storage peer, all
 * linked through a relay that broadcasts, with slow downlinks. Every node passed a peer's change on to
 * all its other peers, so each link between two receivers carried a 1 MB paste once more per engine, and
 * a receiver still taking it in was sent it again in answer to its hellos. Now the typist's links carry it
 * once per engine and the others' links not at all; a node cut from the typist still gets it, through
 * another peer's answer to its hello (anti-entropy's multi-hop repair).
 */
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../src/engines/index.ts';
import type { Replica } from '../src/replica.ts';
import { runTimers, steppedNow } from '../testing/clock-steps.ts';
import { countingReceived, type LinkBytes } from '../testing/counting-transport.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

const PARAGRAPH = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ';
const PASTE = PARAGRAPH.repeat(Math.ceil(300_000 / PARAGRAPH.length));
const NODES = ['r-a', 'r-b', 'r-c', 'r-storage'] as const;

async function room(cut?: readonly [string, string]) {
  // Each downlink takes 1,000 bytes per ms: the paste in five engines is 1.5 s on the wire to each node,
  // longer than a round trip of hellos, so receivers report their old state while it arrives.
  const { clock, net, open } = simRoom({
    seed: 47,
    startMs: 1_700_000_000_000,
    latencyMs: 20,
    antiEntropyMs: 2_000,
    backpressure: { bytesPerMs: 1000, maxQueuedBytes: 1 << 30 },
  });
  const bytes: LinkBytes = new Map();
  const replicas: Replica[] = [];
  for (const id of NODES) {
    replicas.push(
      await open(id, {
        transport: countingReceived(net.transport(id), bytes),
        monotonicNow: steppedNow(5),
      }),
    );
  }
  if (cut !== undefined) {
    net.cut(cut[0], cut[1]);
    net.cut(cut[1], cut[0]);
  }
  await runTimers(clock, 5_000);
  bytes.clear();
  return { clock, bytes, replicas };
}

function expectConverged(replicas: readonly Replica[]): void {
  const [first] = replicas as [Replica];
  for (const name of first.engineNames) {
    const digests = replicas.map((r) => r.digest(name));
    expect(new Set(digests).size, `${name}: ${digests.join(' ')}`).toBe(1);
    for (const r of replicas) expect(r.textLength(name), `${name} in ${r.id}`).toBe(PASTE.length);
  }
}

describe('a large paste in a room of four nodes', () => {
  it("is carried once per engine on the typist's links and not on the others'", async () => {
    const { clock, bytes, replicas } = await room();
    const [typist] = replicas as [Replica];
    await typist.apply({ op: 'text.insert', pos: 0, text: PASTE });
    await runTimers(clock, 60_000);
    expectConverged(replicas);
    for (const descriptor of ENGINES.descriptors) {
      for (const from of NODES) {
        for (const to of NODES) {
          if (from === to) continue;
          const carried = bytes.get(`${from}→${to}`)?.get(descriptor.wireCode) ?? 0;
          // One copy of the paste (an engine's encoding of it is at most ~1.3× the text) and small frames.
          const limit = from === typist.id ? 1.5 * PASTE.length : 0.2 * PASTE.length;
          expect(carried, `${descriptor.name} ${from}→${to}: ${carried} bytes`).toBeLessThan(limit);
        }
      }
    }
  }, 180_000);

  it('reaches a node cut from the typist through the others', async () => {
    const { clock, replicas } = await room(['r-a', 'r-c']);
    const [typist] = replicas as [Replica];
    await typist.apply({ op: 'text.insert', pos: 0, text: PASTE });
    await runTimers(clock, 60_000);
    expectConverged(replicas);
  }, 180_000);
});
