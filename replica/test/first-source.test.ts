/**
 * A new window catches up from the room's storage peer first (issue 19): it says hello to the other
 * windows only once each engine holds what the storage peer advertised, so they answer with what the
 * storage peer lacked (here: a window's edit made while it was cut from the storage peer) instead of the
 * whole document, one copy per window and engine. A storage peer that never answers only delays those
 * hellos (FIRST_SOURCE_WAIT_MS); one out of reach delays nothing.
 */
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../src/engines/index.ts';
import { FIRST_SOURCE_WAIT_MS } from '../src/replica/first-source.ts';
import type { Replica } from '../src/replica.ts';
import { runTimers, steppedNow } from '../testing/clock-steps.ts';
import { countingReceived, type LinkBytes } from '../testing/counting-transport.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

/** 60,000 seeded random letters and spaces: text no engine's compression shrinks to nothing. */
const DOC = (() => {
  let seed = 19;
  let text = '';
  while (text.length < 60_000) {
    seed = (Math.imul(seed, 1_103_515_245) + 12_345) >>> 0;
    text += 'abcdefghijklmnopqrstuvwxyz '[(seed >>> 16) % 27];
  }
  return text;
})();
const STORAGE = 'r-storage';
const LATE_EDIT = 'typed while cut from the storage peer. ';

/** The storage peer and a window holding DOC; the window also holds LATE_EDIT, which the storage peer lacks. */
async function room() {
  const { clock, net, open } = simRoom({ seed: 19, startMs: 1_700_000_000_000, latencyMs: 20 });
  const storage = await open(STORAGE, { monotonicNow: steppedNow(5) });
  const a = await open('r-a', { monotonicNow: steppedNow(5), firstSource: STORAGE });
  await a.apply({ op: 'text.insert', pos: 0, text: DOC });
  await runTimers(clock, 10_000);
  net.cut('r-a', STORAGE);
  net.cut(STORAGE, 'r-a');
  await a.apply({ op: 'text.insert', pos: 0, text: LATE_EDIT });
  await runTimers(clock, 5_000);
  for (const name of ENGINES.names) expect(storage.textLength(name), name).toBe(DOC.length);
  return { clock, net, open, storage, a };
}

function expectHoldsAll(window: Replica, a: Replica): void {
  for (const name of ENGINES.names) {
    expect(window.textLength(name), `${name} in ${window.id}`).toBe(LATE_EDIT.length + DOC.length);
    expect(window.textSlice(name, 'text', 0, LATE_EDIT.length), name).toBe(LATE_EDIT);
    expect(window.digest(name), name).toBe(a.digest(name));
  }
}

/** The most bytes any engine received on the link. */
function most(bytes: LinkBytes, link: string): number {
  return Math.max(0, ...(bytes.get(link)?.values() ?? []));
}

describe('a new window with the storage peer as its first source', () => {
  it("gets the document from the storage peer alone, and a window's edit it lacks from that window", async () => {
    const { clock, net, open, a } = await room();
    const bytes: LinkBytes = new Map();
    const d = await open('r-d', {
      transport: countingReceived(net.transport('r-d'), bytes),
      monotonicNow: steppedNow(5),
      firstSource: STORAGE,
    });
    await runTimers(clock, 20_000);
    expectHoldsAll(d, a);
    for (const descriptor of ENGINES.descriptors) {
      const code = descriptor.wireCode;
      // The document came once, from the storage peer; the window sent its hello and its edit.
      expect(bytes.get(`${STORAGE}→r-d`)?.get(code) ?? 0, descriptor.name).toBeGreaterThan(DOC.length / 4);
      const carried = bytes.get('r-a→r-d')?.get(code) ?? 0;
      expect(carried, `${descriptor.name} r-a→r-d: ${carried} bytes`).toBeLessThan(0.1 * DOC.length);
    }
  }, 120_000);

  it('greets the other windows after FIRST_SOURCE_WAIT_MS when the storage peer never answers', async () => {
    const { clock, net, open, a } = await room();
    const bytes: LinkBytes = new Map();
    const d = await open('r-d', {
      transport: countingReceived(net.transport('r-d'), bytes, new Set([STORAGE])),
      monotonicNow: steppedNow(5),
      firstSource: STORAGE,
    });
    await runTimers(clock, FIRST_SOURCE_WAIT_MS / 2);
    expect(most(bytes, 'r-a→r-d')).toBeLessThan(0.1 * DOC.length); // still waiting for the storage peer
    await runTimers(clock, FIRST_SOURCE_WAIT_MS / 2 + 3_000);
    expectHoldsAll(d, a);
  }, 120_000);

  it('waits for nothing when the storage peer is out of reach', async () => {
    const { clock, net, open, a } = await room();
    net.cut('r-d', STORAGE);
    net.cut(STORAGE, 'r-d');
    const d = await open('r-d', { monotonicNow: steppedNow(5), firstSource: STORAGE });
    await runTimers(clock, FIRST_SOURCE_WAIT_MS / 2);
    expectHoldsAll(d, a);
  }, 120_000);
});
