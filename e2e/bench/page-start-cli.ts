/**
 * npx tsx e2e/bench/page-start-cli.ts [--runs 7] (after `npm run build:web`)
 * How fast a window's page starts in web mode, the replica worker still loading: the page's own script
 * bytes (the worker's and WASM left out), its first contentful paint (the start screen), and when the replica is open (the editor
 * shows). Medians over fresh browser contexts; a benchmark, not a test.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { chromium } from '@playwright/test';
import { startWebMode } from '../../src/main/web-mode.ts';
import { CHROMIUM_ARGS, chromiumExecutable } from '../support/chromium.ts';

interface Sample {
  readonly pageScriptBytes: number;
  readonly workerBytes: number;
  readonly firstPaintMs: number;
  readonly openMs: number;
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { runs: { type: 'string', default: '7' } } });
  const runs = Number(values.runs);
  const dataDir = await mkdtemp(join(tmpdir(), 'converge-page-start-'));
  const web = await startWebMode({ port: 0, dataDir, room: 'page-start', warn: () => {} });
  const executablePath = chromiumExecutable();
  const browser = await chromium.launch({
    args: [...CHROMIUM_ARGS],
    ...(executablePath !== undefined ? { executablePath } : {}),
  });
  const samples: Sample[] = [];
  try {
    for (let i = 0; i < runs; i++) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const url = new URL(web.url);
      url.searchParams.set('replica', `start-${i}`);
      await page.goto(url.href);
      await page.getByRole('textbox', { name: 'Text' }).waitFor({ timeout: 60_000 });
      // A string, so the bundler's helpers (tsx keeps function names) stay out of the page.
      const sample = (await page.evaluate(`(() => {
        const resources = performance.getEntriesByType('resource');
        const worker = resources.filter((r) => r.name.includes('replica-worker'));
        const scripts = resources.filter(
          (r) => r.initiatorType === 'script' && r.name.endsWith('.js') && !r.name.includes('replica-worker'),
        );
        // The first paint with content: the start screen React renders while the worker loads.
        const paint = performance.getEntriesByName('first-contentful-paint')[0];
        return {
          pageScriptBytes: scripts.reduce((n, r) => n + r.decodedBodySize, 0),
          workerBytes: worker.reduce((n, r) => n + r.decodedBodySize, 0),
          firstPaintMs: paint === undefined ? Number.NaN : paint.startTime,
          openMs: performance.now(),
        };
      })()`)) as Sample;
      samples.push(sample);
      await context.close();
    }
  } finally {
    await browser.close();
    await web.close();
    await rm(dataDir, { recursive: true, force: true });
  }
  const median = (pick: (s: Sample) => number): number => {
    const sorted = samples.map(pick).sort((a, b) => a - b);
    return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
  };
  console.log(
    JSON.stringify({
      runs,
      pageScriptBytes: median((s) => s.pageScriptBytes),
      workerScriptBytes: median((s) => s.workerBytes),
      firstContentfulPaintMsMedian: Math.round(median((s) => s.firstPaintMs)),
      editorShownMsMedian: Math.round(median((s) => s.openMs)),
      firstContentfulPaintMs: samples.map((s) => Math.round(s.firstPaintMs)),
    }),
  );
}

await main();
