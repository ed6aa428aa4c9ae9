import { SeededRandom } from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';
import { encodePatches, GapBuffer, gapBufferEngine } from '../src/engines/gap-buffer.ts';
import { runAll } from '../src/runner.ts';

describe('the gap-buffer reference engine', () => {
  it('splices like a string, wherever the gap is and however it grows', () => {
    const rng = new SeededRandom(11);
    const buffer = new GapBuffer();
    let model = '';
    for (let i = 0; i < 3000; i++) {
      const at = rng.int(0, model.length);
      const deleted = rng.chance(0.3) ? rng.int(0, Math.min(7, model.length - at)) : 0;
      const inserted = rng.pick(['', 'a', 'héllo', '😀', 'x'.repeat(rng.int(0, 700))]);
      buffer.splice(at, deleted, inserted);
      model = model.slice(0, at) + inserted + model.slice(at + deleted);
      expect(buffer.length).toBe(model.length);
    }
    expect(buffer.toString()).toBe(model);
    expect(() => buffer.splice(model.length, 1, '')).toThrow(RangeError);
  });

  it('sends each edit as the patch itself and saves the text as UTF-8', () => {
    const doc = gapBufferEngine.create(0);
    expect([...doc.edit(0, 0, 'hé')]).toEqual([0, 0, 3, 0x68, 0xc3, 0xa9]);
    doc.edit(2, 0, 'y'.repeat(198));
    expect([...doc.edit(198, 2, '')]).toEqual([0xc6, 0x01, 2, 0]); // position 198 takes two bytes
    expect([
      ...encodePatches([
        [1, 1, 'x'],
        [0, 0, ''],
      ]),
    ]).toEqual([1, 1, 1, 0x78, 0, 0, 0]);
    expect(gapBufferEngine.parse(doc.encode()).text()).toBe(doc.text());
  });

  it('is not run on concurrent workloads: no row, no failure', async () => {
    const results = await runAll(
      {
        workloads: [{ type: 'synthetic', name: 'B2.1-two-users-random-insert', size: 50, seed: 1 }],
        engines: ['gap-buffer'],
        runs: 1,
        timeoutSeconds: 120,
      },
      () => {},
    );
    expect(results).toEqual([]);
  }, 120_000);
});
