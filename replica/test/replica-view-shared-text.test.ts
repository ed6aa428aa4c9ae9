/**
 * Views of engines whose texts agree read the text once (issue 19): the app's history takes every
 * engine's whole view, and five engines holding the same 150 KB text cost five reads of it before.
 */
import { describe, expect, it } from 'vitest';
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
    expect(texts()).toEqual(replica.engineNames.map(() => 'hello world'));
    expect(wholeReads).toBe(1);
    await replica.apply({ op: 'text.insert', pos: 5, text: ',' });
    wholeReads = 0;
    expect(texts()).toEqual(replica.engineNames.map(() => 'hello, world'));
    expect(wholeReads).toBe(1);
  });
});
