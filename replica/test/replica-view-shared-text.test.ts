/**
 * Views of engines whose texts agree read the text once (issue 19): the app's history takes every
 * engine's whole view, and five engines holding the same 150 KB text cost five reads of it before.
 * Compared by their hashes once those are known (a status's digests take them); before (a reopened
 * window's first views, read before its texts are shown), by the texts themselves: no text is hashed.
 */
import { describe, expect, it, vi } from 'vitest';
import { TextMirror } from '../src/text-mirror.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

describe('Replica.view', () => {
  it('reads a text the engines agree on once for all of them, and each anew after a change', async () => {
    const { open } = simRoom({ seed: 5, startMs: 1_700_000_000_000 });
    const replica = await open('r-views');
    await replica.apply({ op: 'text.insert', pos: 0, text: 'hello world' });
    let wholeReads = 0;
    for (const name of replica.engineNames) {
      const engine = replica.engine(name);
      const slice = engine.textSlice.bind(engine);
      engine.textSlice = (field, from, to) => {
        if (from === undefined && to === undefined) wholeReads++;
        return slice(field, from, to);
      };
    }
    const texts = () => replica.engineNames.map((name) => replica.view(name).text);
    // The digests, as every status takes them: the texts' hashes are known from then on.
    for (const name of replica.engineNames) replica.digest(name);
    expect(texts()).toEqual(replica.engineNames.map(() => 'hello world'));
    expect(wholeReads).toBe(1);
    await replica.apply({ op: 'text.insert', pos: 5, text: ',' });
    wholeReads = 0;
    expect(texts()).toEqual(replica.engineNames.map(() => 'hello, world'));
    expect(wholeReads).toBe(1);
  });

  it('hashes no text for views read before any digest, and shares the texts that are equal', async () => {
    const { open } = simRoom({ seed: 6, startMs: 1_700_000_000_000 });
    const replica = await open('r-first-views');
    await replica.apply({ op: 'text.insert', pos: 0, text: 'hello world' });
    const hashes = vi.spyOn(TextMirror.prototype as unknown as { computeHash(): string }, 'computeHash');
    try {
      const views = replica.engineNames.map((name) => replica.view(name));
      expect(views.map((view) => view.text)).toEqual(replica.engineNames.map(() => 'hello world'));
      expect(hashes).not.toHaveBeenCalled();
      // Then by hash again, and a changed text is read anew.
      for (const name of replica.engineNames) replica.digest(name);
      await replica.apply({ op: 'text.insert', pos: 5, text: ',' });
      expect(replica.engineNames.map((name) => replica.view(name).text)).toEqual(
        replica.engineNames.map(() => 'hello, world'),
      );
    } finally {
      hashes.mockRestore();
    }
  });
});
