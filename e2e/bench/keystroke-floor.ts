/**
 * tsx e2e/bench/keystroke-floor.ts [--size 150000] [--windows 3] [--tabs] [--type-in first|last] [--keys 60] [--pace 60]
 *
 * The floor under the app benchmark's keystroke → painted: no app, only the reference <textarea> holding
 * `size` characters in blank pages of the same Chromium with the same flags, typed into the same way and
 * measured by the same probe (and by Event Timing). `--tabs` opens the pages as tabs of one window (what
 * context.newPage() does), otherwise each in a window of its own (as the app benchmark does); `--type-in`
 * picks the page typed into (the first, or the last opened: the window's active tab when `--tabs`).
 */
import { loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { chromium, type Page } from '@playwright/test';
import { CHROMIUM_ARGS, chromiumExecutable } from '../support/chromium.ts';
import { eventTimingPercentiles, openWindow, percentiles, typeMeasured } from './app-bench.ts';
import { PROBE } from './page-probe.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '150000' },
    windows: { type: 'string', default: '3' },
    tabs: { type: 'boolean', default: false },
    'type-in': { type: 'string', default: 'first' },
    keys: { type: 'string', default: '60' },
    pace: { type: 'string', default: '60' },
  },
});
const size = Number(values.size);
const windows = Number(values.windows);
const keys = Number(values.keys);
const paceMs = Number(values.pace);

const executablePath = chromiumExecutable();
const browser = await chromium.launch({
  args: [...CHROMIUM_ARGS],
  ...(executablePath !== undefined ? { executablePath } : {}),
});
try {
  const context = await browser.newContext({ viewport: { width: 1360, height: 940 } });
  const text = 'The quick brown fox jumps over the lazy dog. '.repeat(Math.ceil(size / 45)).slice(0, size);
  const pages: Page[] = [];
  for (let i = 0; i < windows; i++) {
    const page = values.tabs ? await context.newPage() : await openWindow(context);
    await page.setContent('<!doctype html><title>floor</title><body></body>');
    await page.evaluate(PROBE);
    await page.evaluate(`__bench.addTextarea(${JSON.stringify(text)})`);
    pages.push(page);
  }
  const typed = (values['type-in'] === 'last' ? pages.at(-1) : pages[0]) as Page;
  const load = loadavg()[0];
  const result = await typeMeasured(typed, keys, Date.now() + 120_000, { paceMs, bringToFront: false });
  process.stdout.write(
    `${JSON.stringify({
      size,
      windows,
      tabs: values.tabs,
      typeIn: values['type-in'],
      paceMs,
      load: [load, loadavg()[0]].map((l) => Math.round((l ?? NaN) * 10) / 10),
      probe: percentiles(result.latencies),
      eventTiming: eventTimingPercentiles(result.eventDurations, result.pressed),
    })}\n`,
  );
} finally {
  await browser.close();
}
