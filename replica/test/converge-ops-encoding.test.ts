/**
 * A large edit's operations are encoded once per replica, not once per peer (issue 19: a 1 MB paste took
 * the typing window's worker ~200 ms per peer to encode, 600 ms before the frame left for three peers), and
 * a replica passing on operations it received sends and stores them as they came, without encoding them
 * again.
 */
import { describe, expect, it, vi } from 'vitest';
import { WorkspaceDocument } from '../src/engines/converge/workspace-document.ts';
import { ENGINES } from '../src/engines/index.ts';
import { MemoryStore } from '../src/store.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

describe("converge's operations on the wire", () => {
  it('are encoded once for every peer, and passed on as they came', async () => {
    const { clock, open } = simRoom({ seed: 7, engines: ENGINES.only(['converge']) });
    const a = await open('r-a');
    const b = await open('r-b');
    const c = await open('r-c');
    clock.advance(1_000);
    const encode = vi.spyOn(WorkspaceDocument, 'encodeOps');
    try {
      const text = 'a large paste '.repeat(500);
      await a.apply({ op: 'text.insert', pos: 0, text });
      for (let ms = 0; ms < 2_000; ms += 50) {
        clock.advance(50);
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (const replica of [b, c]) expect(replica.textSlice('converge')).toBe(text);
      // a's own change (its store record); b and c store and pass on what they received as it came.
      const ofThePaste = encode.mock.calls.filter(([, ops]) =>
        ops.some((op) => (op.body.op as { text?: unknown }).text === text),
      );
      expect(ofThePaste).toHaveLength(1);
    } finally {
      encode.mockRestore();
    }
  });
});

describe("converge's operations in the store", () => {
  it('are not encoded again when a replica reopens, and still reach a peer as they were', async () => {
    const { clock, open } = simRoom({ seed: 11, engines: ENGINES.only(['converge']) });
    const store = new MemoryStore();
    const text = 'a pasted page '.repeat(500);
    const writer = await open('r-w', { store });
    await writer.apply({ op: 'text.insert', pos: 0, text });
    await writer.apply({ op: 'text.insert', pos: text.length, text: '!' });
    await writer.close();
    const encode = vi.spyOn(WorkspaceDocument, 'encodeOps');
    try {
      const reopened = await open('r-w', { store });
      expect(reopened.textSlice('converge')).toBe(`${text}!`);
      const ofThePaste = encode.mock.calls.filter(([, ops]) =>
        ops.some((op) => (op.body.op as { text?: unknown }).text === text),
      );
      expect(ofThePaste).toEqual([]);
      // A new peer gets the operations the reopened replica took from its store.
      const peer = await open('r-p');
      for (let ms = 0; ms < 2_000 && peer.textSlice('converge') !== `${text}!`; ms += 50) {
        clock.advance(50);
        await new Promise((resolve) => setImmediate(resolve));
      }
      expect(peer.textSlice('converge')).toBe(`${text}!`);
    } finally {
      encode.mockRestore();
    }
  });
});
