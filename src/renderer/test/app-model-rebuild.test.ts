import type { Replica } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { AppModel, type AppModelOptions } from '../logic/app-model.ts';
import { SessionRecorder } from '../logic/session-recorder.ts';
import { WireLog } from '../logic/wire-log.ts';
import { closeModelsAfterEach, openModel, world } from './support.ts';

closeModelsAfterEach();

/** A model over `replica` whose rebuilds run at once and whose delays wait in `delayed` (run by hand). */
function modelOf(
  w: ReturnType<typeof world>,
  replica: Replica,
  options: Pick<AppModelOptions, 'minRebuildMs' | 'statusWithoutText' | 'historyMinMs'>,
): { model: AppModel; delayed: { run: () => void; at: number }[] } {
  const delayed: { run: () => void; at: number }[] = [];
  const model = new AppModel({
    replica,
    wire: new WireLog(replica.registry.names, 10),
    recorder: new SessionRecorder('a'),
    schedule: (flush) => flush(),
    now: () => w.clock.now(),
    ...options,
    delay: (run, ms) => delayed.push({ run, at: w.clock.now() + ms }),
  });
  return { model, delayed };
}

describe('AppModel snapshots while typing', () => {
  it('are rebuilt at most once per minRebuildMs, the last change included', async () => {
    const w = world();
    const { replica } = await openModel(w, 'a');
    const { model, delayed } = modelOf(w, replica, { minRebuildMs: 100 });
    let builds = 0;
    model.subscribe(() => builds++);
    const type = (pos: number, text: string) =>
      model.applyEdit({ kind: 'text', field: 'text', action: 'insert', pos, text });
    await type(0, 'a'); // the first change: rebuilt at once
    expect(builds).toBe(1);
    for (let i = 1; i <= 5; i++) {
      w.clock.advance(10);
      await type(i, 'b');
    }
    expect(builds).toBe(1); // five keystrokes within 100 ms: one rebuild waiting
    expect(delayed).toHaveLength(1);
    w.clock.advance(100);
    delayed.shift()?.run();
    expect(builds).toBe(2);
    expect(model.getSnapshot().status.engines.converge?.view.text).toBe('abbbbb');
    model.close();
  });

  it('read no whole text without it; the history reads each at most once per historyMinMs', async () => {
    const w = world();
    const opened = await openModel(w, 'a');
    const { replica } = opened;
    opened.close(); // only this test's model reads the replica
    const { model, delayed } = modelOf(w, replica, { statusWithoutText: true, historyMinMs: 1000 });
    // Every whole-text read goes through the replica's view (textSlice with a range is the feed's O(edit)).
    let wholeReads = 0;
    const view = replica.view.bind(replica);
    replica.view = (name) => {
      wholeReads++;
      return view(name);
    };
    const entries = () => model.getSnapshot().history.length;
    const before = entries();
    const type = (pos: number, text: string) =>
      model.applyEdit({ kind: 'text', field: 'text', action: 'insert', pos, text });
    w.clock.advance(1000); // past the opening's entry's historyMinMs
    await type(0, 'a'); // the first burst: an entry at once
    expect(entries()).toBe(before + 1);
    expect(wholeReads).toBe(replica.engineNames.length);
    wholeReads = 0;
    for (let i = 1; i <= 5; i++) {
      w.clock.advance(100);
      await type(i, 'b'); // a snapshot per keystroke (no minRebuildMs), no whole text read
    }
    expect(wholeReads).toBe(0);
    expect(model.getSnapshot().status.engines.converge?.view.text).toBe('');
    expect(entries()).toBe(before + 1);
    // The open burst gets its entry once historyMinMs passed, with no change to ask for it.
    expect(delayed).toHaveLength(1);
    w.clock.advance(500);
    delayed.shift()?.run();
    expect(entries()).toBe(before + 2);
    expect(wholeReads).toBe(replica.engineNames.length);
    const last = model.getSnapshot().history.at(-1);
    expect(last?.views.converge?.text).toBe('abbbbb');
    model.close();
  });
});
