/**
 * `npm run bench:app` starts and reports in its JSON shape (a tiny document, three keystrokes: a smoke
 * test of the benchmark's driver, never a timing check; the benchmark itself is not part of npm test).
 */
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { ENGINES as REGISTRY } from '@converge/replica';
import { expect, test } from '@playwright/test';
import type { AppBenchReport } from '../bench/app-bench.ts';

/** Every engine the registry offers, as the benchmark reports them. */
const ENGINES = [...REGISTRY.names];

test('the app benchmark runs end to end and prints its JSON report', async () => {
  test.setTimeout(180_000);
  const root = resolve(import.meta.dirname, '../..');
  const { stdout } = await promisify(execFile)(
    'npx',
    [
      'tsx',
      'e2e/bench/app-bench-cli.ts',
      '--json',
      '--sizes',
      '2000',
      '--keys',
      '3',
      '--timeout-ms',
      '40000',
    ],
    { cwd: root, maxBuffer: 1 << 24 },
  );
  const report = JSON.parse(stdout) as AppBenchReport;
  expect(report.benchmark).toBe('app');
  expect(report.engines).toEqual(ENGINES);
  const [run] = report.runs;
  expect(run?.sizeChars).toBe(2000);
  expect(run?.timeouts).toEqual([]);
  expect(run?.keystrokeMs.editor?.n).toBe(3);
  expect(run?.keystrokeMs.textarea?.n).toBe(3);
  // Event Timing: one figure per key pressed (the keys under its threshold count at it).
  expect(run?.keystrokeEventTimingMs?.editor?.n).toBe(3);
  expect(run?.keystrokeEventTimingMs?.textarea?.n).toBe(3);
  expect(Object.keys(run?.wireBytesPerKeystroke ?? {})).toEqual(ENGINES);
  for (const engine of ENGINES) expect(run?.wireBytesPerKeystroke?.[engine]).toBeGreaterThan(0);
  expect(run?.reopenMs).toBeGreaterThan(0);
  expect(run?.newWindow?.receivedMs).toBeGreaterThan(0);
  expect(run?.backpressureDrops).toBe(0);
  expect(run?.loadAverage.start).toBeGreaterThanOrEqual(0);
  expect(run?.loadAverage.end).toBeGreaterThanOrEqual(0);
  // Linux (/proc): typing costs the browser some CPU; elsewhere the figure is absent, not made up.
  for (const phase of ['editor', 'textarea'] as const) {
    const ms = run?.cpuMsPerKeystroke[phase];
    if (process.platform === 'linux') expect(ms).toBeGreaterThan(0);
    else expect(ms).toBeNull();
  }
  expect(run?.converged).toEqual(Object.fromEntries(ENGINES.map((e) => [e, true])));
});
