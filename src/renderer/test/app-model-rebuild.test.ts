import { describe, expect, it } from 'vitest';
import { AppModel } from '../logic/app-model.ts';
import { SessionRecorder } from '../logic/session-recorder.ts';
import { WireLog } from '../logic/wire-log.ts';
import { closeModelsAfterEach, openModel, world } from './support.ts';

closeModelsAfterEach();

describe('AppModel snapshots while typing', () => {
  it('are rebuilt at most once per minRebuildMs, the last change included', async () => {
    const w = world();
    const { replica } = await openModel(w, 'a');
    const delayed: { run: () => void; at: number }[] = [];
    const model = new AppModel({
      replica,
      wire: new WireLog(replica.registry.names, 10),
      recorder: new SessionRecorder('a'),
      schedule: (flush) => flush(),
      now: () => w.clock.now(),
      minRebuildMs: 100,
      delay: (run, ms) => delayed.push({ run, at: w.clock.now() + ms }),
    });
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
});
