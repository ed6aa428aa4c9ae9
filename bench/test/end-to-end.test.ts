import { describe, expect, it } from 'vitest';
import { convergeEngine } from '../src/engines/converge.ts';
import { ENGINE_NAMES, loadEngine } from '../src/engines/index.ts';
import { measureParse, measureReplay, NotApplicable, ResultMismatch } from '../src/measure.ts';
import { runAll } from '../src/runner.ts';
import { syntheticWorkload } from '../src/synthetic.ts';

/** Run `body` with a `gc` the measurements can call (a no-op when the runner lacks --expose-gc). */
async function withGc(body: () => void | Promise<void>): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  (globalThis as { gc?: () => void }).gc = gc ?? (() => {});
  try {
    await body();
  } finally {
    (globalThis as { gc?: () => void }).gc = gc;
  }
}

describe('measuring', () => {
  it('replays, merges and parses in-process, checking the text', async () => {
    for (const name of ['B1.7-random-insert-delete', 'B2.3-two-users-insert-delete'] as const) {
      const workload = syntheticWorkload(name, 300, 3);
      await withGc(() => {
        const outcome = measureReplay(convergeEngine, workload);
        expect(outcome.figures.docBytes).toBe(outcome.doc.length);
        expect(outcome.figures.updateBytes).toBeGreaterThan(0);
        if (workload.kind === 'sequential') expect(outcome.text).toBe(workload.endContent);
        else expect(outcome.figures.mergeMs).toBeGreaterThanOrEqual(0);
        expect(measureParse(convergeEngine, outcome.doc, outcome.text).parseMs).toBeGreaterThanOrEqual(0);
        expect(() => measureParse(convergeEngine, outcome.doc, `${outcome.text}x`)).toThrow(ResultMismatch);
      });
    }
  });

  it('every engine, Yjs in both update formats included, replays, merges (but the gap buffer) and parses to the checked text', async () => {
    const sequential = syntheticWorkload('B1.7-random-insert-delete', 100, 9);
    const concurrent = syntheticWorkload('B2.3-two-users-insert-delete', 100, 9);
    if (sequential.kind !== 'sequential') throw new Error('B1.7 should be a sequential workload');
    await withGc(async () => {
      const docBytes = new Map<string, number>();
      for (const name of ENGINE_NAMES) {
        const engine = await loadEngine(name);
        expect(engine.name).toBe(name);
        const outcome = measureReplay(engine, sequential);
        expect(outcome.text, name).toBe(sequential.endContent);
        expect(measureParse(engine, outcome.doc, outcome.text).parseMs).toBeGreaterThanOrEqual(0);
        if (engine.merges) {
          expect(measureReplay(engine, concurrent).figures.mergeMs, name).toBeGreaterThanOrEqual(0);
        } else expect(() => measureReplay(engine, concurrent), name).toThrow(NotApplicable);
        docBytes.set(name, outcome.figures.docBytes);
      }
      // The two Yjs engines really use different formats.
      expect(docBytes.get('yjs-v2')).not.toBe(docBytes.get('yjs'));
    });
  }, 60_000);

  it('runs the converge engine end to end in worker processes', async () => {
    const messages: string[] = [];
    const results = await runAll(
      {
        workloads: [{ type: 'synthetic', name: 'B1.4-random-insert', size: 200, seed: 5 }],
        engines: ['converge'],
        runs: 1,
        timeoutSeconds: 120,
      },
      (m) => messages.push(m),
    );
    expect(results).toHaveLength(1);
    expect(results[0]).toMatchObject({
      engine: 'converge',
      workload: 'B1.4-random-insert',
      ok: true,
      runs: 1,
    });
    for (const key of ['replayMs', 'updateBytes', 'docBytes', 'encodeMs', 'parseMs', 'memBytes'] as const) {
      expect(results[0]?.[key], key).toBeTypeOf('number');
    }
    expect(messages[0]).toContain('B1.4-random-insert · converge · run 1/1');
  }, 120_000);
});
