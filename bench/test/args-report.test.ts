import { describe, expect, it } from 'vitest';
import { parseOptions, UsageError } from '../src/args.ts';
import { ENGINE_NAMES } from '../src/engines/types.ts';
import { formatRatio, formatValue, jsonRows, markdownReport, targetLine } from '../src/report.ts';
import { type BenchResult, combineRuns, median } from '../src/result.ts';
import { SYNTHETIC_NAMES } from '../src/synthetic.ts';

describe('command line', () => {
  it('defaults: every engine, every synthetic workload, the default trace folder, 3 runs', () => {
    const o = parseOptions([], '/traces');
    expect(o).toMatchObject({
      tracesDir: '/traces',
      traceFiles: [],
      runs: 3,
      json: false,
      out: null,
      help: false,
    });
    expect(o.engines).toEqual([...ENGINE_NAMES]);
    expect(o.synthetic).toEqual([...SYNTHETIC_NAMES]);
  });

  it('selects engines, runs, output and traces', () => {
    const o = parseOptions(
      ['--engines', 'converge, json-joy', '--runs', '5', '--json', '--out', 'res', '--synthetic', 'none'],
      '/traces',
      '/home/me',
    );
    expect(o).toMatchObject({
      engines: ['converge', 'json-joy'],
      runs: 5,
      json: true,
      out: '/home/me/res',
      synthetic: [],
    });
    // Relative paths are the user's, resolved against where they ran the command.
    expect(
      parseOptions(['--trace', 'a.json.gz', '--trace', '/t/b.json'], '/traces', '/home/me'),
    ).toMatchObject({
      tracesDir: null,
      traceFiles: ['/home/me/a.json.gz', '/t/b.json'],
    });
    expect(parseOptions(['--traces', 'mine'], '/traces', '/home/me').tracesDir).toBe('/home/me/mine');
    expect(parseOptions(['--traces', '/other'], '/traces').tracesDir).toBe('/other');
    expect(parseOptions(['--no-traces'], '/traces').tracesDir).toBeNull();
    expect(parseOptions(['--synthetic', 'B1.1-append', '--size', '10', '--seed', '0'], null)).toMatchObject({
      synthetic: ['B1.1-append'],
      syntheticSize: 10,
      seed: 0,
    });
  });

  it('rejects bad input with a usage error', () => {
    for (const argv of [
      ['--engines', 'sharedb'],
      ['--runs', '0'],
      ['--runs', 'many'],
      ['--size', '-3'],
      ['--synthetic', 'B9'],
      ['--bogus'],
      ['positional'],
    ]) {
      expect(() => parseOptions(argv, null), argv.join(' ')).toThrow(UsageError);
    }
  });
});

describe('results and report', () => {
  const figures = (replayMs: number) => ({
    replayMs,
    updateBytes: 1000,
    docBytes: 500,
    encodeMs: 1,
    parseMs: 2,
    memBytes: 4096,
  });

  it('takes medians per figure and fails a result when any run failed', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    const ok = combineRuns('converge', 'w', [
      { ok: true, figures: figures(30) },
      { ok: true, figures: figures(10) },
      { ok: true, figures: figures(20) },
    ]);
    expect(ok).toMatchObject({ ok: true, replayMs: 20, runs: 3 });
    const failed = combineRuns('converge', 'w', [
      { ok: true, figures: figures(10) },
      { ok: false, error: 'ResultMismatch: text differs' },
    ]);
    expect(failed).toMatchObject({ ok: false, error: 'ResultMismatch: text differs' });
    expect(failed.replayMs).toBeUndefined();
  });

  it("judges converge against the issue's targets, each against its reference", () => {
    const results: BenchResult[] = [
      {
        engine: 'converge',
        workload: 'w',
        ok: true,
        runs: 1,
        ...figures(10),
        docBytes: 650,
        parseMs: 1,
        memBytes: 2048,
      },
      { engine: 'loro', workload: 'w', ok: true, runs: 1, ...figures(20) },
      { engine: 'automerge', workload: 'w', ok: true, runs: 1, ...figures(8) },
      { engine: 'gap-buffer', workload: 'w', ok: true, runs: 1, ...figures(5) },
    ];
    expect(targetLine(results)).toBe(
      'converge against its targets: doc bytes 1.3× the smallest of Yjs V2, Automerge, Loro, json-joy ✗; ' +
        "parse 0.50× Loro's ✓; memory 0.50× Loro's ✓; replay 2.0× the gap buffer's (target ≤ 1.5×) ✗.",
    );
    expect(targetLine(results.slice(1))).toBeNull();
  });

  it('formats figures and ratios', () => {
    expect(formatValue('replayMs', 12.345)).toBe('12.3');
    expect(formatValue('replayMs', 1234.5)).toBe('1,235');
    expect(formatValue('docBytes', 162021)).toBe('162,021');
    expect(formatRatio(50, 1000)).toBe('0.050×');
    expect(formatRatio(250, 1000)).toBe('0.25×');
    expect(formatRatio(2500, 1000)).toBe('2.5×');
    expect(formatRatio(25000, 1000)).toBe('25×');
    expect(formatRatio(1, undefined)).toBe('–');
    expect(formatRatio(1, 0)).toBe('–');
  });

  it('prints every figure with its ratio to Yjs (both formats) and json-joy, and failures as failures', () => {
    const results: BenchResult[] = [
      { engine: 'converge', workload: 'w', ok: true, runs: 3, ...figures(10) },
      { engine: 'yjs', workload: 'w', ok: true, runs: 3, ...figures(200) },
      { engine: 'yjs-v2', workload: 'w', ok: true, runs: 3, ...figures(400) },
      { engine: 'json-joy', workload: 'w', ok: true, runs: 3, ...figures(20) },
      { engine: 'automerge', workload: 'w', ok: false, runs: 1, error: 'ResultMismatch: text | differs' },
    ];
    const md = markdownReport(results, () => 'about w');
    expect(md).toContain('### w');
    expect(md).toContain('| converge | 10.0 (0.050× Y, 0.025× Y2, 0.50× J) |');
    expect(md).toContain('| yjs | 200 (0.50× Y2, 10× J) |');
    expect(md).toContain('| yjs-v2 | 400 (2.0× Y, 20× J) |');
    expect(md).toContain('| automerge | FAILED: ResultMismatch: text / differs |');
    // Targets with no reference in the run are left out; the others are judged.
    expect(md).toContain(
      "converge against its targets: doc bytes 1.0× the smallest of Yjs V2, Automerge, Loro, json-joy ✓; update bytes 1.0× Yjs V1's ✓.",
    );
    const rows = jsonRows(results);
    expect(rows[0]).toEqual({
      engine: 'converge',
      workload: 'w',
      ok: true,
      replayMs: 10,
      updateBytes: 1000,
      docBytes: 500,
      encodeMs: 1,
      parseMs: 2,
      memBytes: 4096,
      runs: 3,
    });
    expect(rows[4]).toMatchObject({ ok: false, replayMs: null, error: 'ResultMismatch: text | differs' });
  });
});
