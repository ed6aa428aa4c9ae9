/**
 * The app benchmark (issue 19): web mode driven in Chromium with real key presses, three windows, every
 * engine, the Compare panel open (the default tab). Per document size it measures keystroke to painted
 * frame in the editor and, in the same page and run, in a bare <textarea> holding the same text; a paste
 * of the whole document and select-all + Delete, applied and painted, and how much later the other
 * windows show them; bytes on the wire per keystroke per engine (what the typing window sends); reopening
 * a window on its stored document and a brand-new window receiving it; frames the relay dropped for
 * backpressure; and whether every engine converged afterwards (the windows' digest badges).
 */
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { dataEntries, decodeFrame, decodeReplicaMessage, entryShares } from '@converge/protocol';
import { ENGINES } from '@converge/replica';
import { type Browser, type BrowserContext, chromium, type Page } from '@playwright/test';
import { attachEmbeddedRelayLoggingTo } from '../../src/main/embedded-relay.ts';
import { startWebMode, type WebMode } from '../../src/main/web-mode.ts';
import { loadWebSecrets } from '../../src/main/web-secrets.ts';
import { CHROMIUM_ARGS, chromiumExecutable } from '../support/chromium.ts';
import { BADGES, LOAD_STATE, PROBE } from './page-probe.ts';
import { treeCpuMs } from './process-cpu.ts';

export interface AppBenchOptions {
  /** Document sizes in characters. */
  readonly sizes: readonly number[];
  /** Keystrokes measured per editor (and as many in the reference textarea). */
  readonly keys: number;
  /** The text repeated to size: the final text of an editing trace. */
  readonly text: string;
  readonly textSource: string;
  /** Longest wait for anything to arrive or settle, ms. */
  readonly timeoutMs: number;
  /**
   * 'reopen': only a reopen and a new window (two windows hold the pasted document first), with where
   * each one's start went; no typing, no select-all. Otherwise every measure.
   */
  readonly only?: 'reopen';
  /**
   * Write a Chrome trace (every process: style, layout, paint, scripts with V8's samples) of the editor's
   * typing phase to this file (with `only: 'reopen'`: of the reopen and the new window's start), for DevTools
   * or a summary; it costs CPU, so the run's figures are not comparable.
   */
  readonly chromeTrace?: string;
  readonly log?: (line: string) => void;
}

/**
 * A window's start, ms after its page's navigation began: the first of each of the page's and its replica
 * worker's User Timing marks (src/renderer/logic/timing.ts, without the "converge:" prefix), the worker's
 * creation ('worker-created'), the first contentful paint, and the document shown whole ('shown').
 */
export type StartSteps = Readonly<Record<string, number>>;

export interface Percentiles {
  readonly n: number;
  readonly p50: number;
  readonly p95: number;
  readonly max: number;
}

/** One document size. Anything the run did not get to (it stopped at its cap) is null. */
export interface AppBenchRun {
  readonly sizeChars: number;
  readonly keystrokeMs: { readonly editor: Percentiles | null; readonly textarea: Percentiles | null };
  /**
   * The same keystrokes as Chromium's Event Timing API reports them (INP's source): keydown to the next
   * frame presented, in 8 ms steps; keys under its 16 ms threshold have no entry and count as 16 ms.
   * Absent in reports from before it was measured.
   */
  readonly keystrokeEventTimingMs?: {
    readonly editor: Percentiles | null;
    readonly textarea: Percentiles | null;
  };
  readonly paste: {
    readonly appliedMs: number;
    readonly paintedMs: number;
    readonly otherWindowsMs: number | null;
  } | null;
  readonly selectAllDelete: {
    readonly paintedMs: number | null;
    readonly otherWindowsMs: number | null;
  } | null;
  /** Per engine: bytes the typing window put on the wire per keystroke (frames whole, every recipient once). */
  readonly wireBytesPerKeystroke: Readonly<Record<string, number>> | null;
  /**
   * The same bytes per keystroke by what the frames were, per engine: "to a peer: ops", "broadcast: digest"…
   * (addressing, then the kind of replica message, as the engine's descriptor names its sync messages).
   */
  readonly wireBreakdownPerKeystroke?: Readonly<Record<string, Readonly<Record<string, number>>>> | null;
  readonly reopenMs: number | null;
  readonly newWindow: { readonly receivedMs: number | null; readonly progressShown: boolean } | null;
  /** Where the reopened window's and the new window's starts went (absent: not measured). */
  readonly startSteps?: { readonly reopen: StartSteps | null; readonly newWindow: StartSteps | null };
  /**
   * The app's own spans while typing in the editor, per keystroke: converge:apply (the replica runtime
   * applying the intents to every engine), converge:snapshot (the window's whole-state snapshot: mostly
   * the runtime's views and digests), converge:compare (the Compare panel's texts), converge:remote-edit
   * (peers' changes into the editor). The rest of a keystroke is the editor, React and the browser, and
   * whatever else the page's thread runs (peers' updates, the store).
   */
  readonly spansPerKeystroke: Readonly<Record<string, { ms: number; count: number; maxMs: number }>> | null;
  readonly backpressureDrops: number | null;
  /**
   * Bytes the relay delivered per engine over the whole run (every window's sync traffic, anti-entropy
   * answers included), on the room's links present when read: a node that left took its counts along.
   */
  readonly relayBytes?: Readonly<Record<string, number>> | null;
  /**
   * Bytes the relay delivered per directed link ("from→to", node ids) and engine, read once the windows
   * converged after the second paste (before a window closes and takes its links' counts along).
   */
  readonly relayLinks?: Readonly<Record<string, Readonly<Record<string, number>>>> | null;
  /**
   * ms from the second paste reaching the other windows until all three windows' engines converged
   * (digests equal), null when that wait timed out.
   */
  readonly convergenceBeforeReopenMs?: number | null;
  /**
   * CPU ms per keystroke of every process of the run (Chromium's, and this one's with the relay), while
   * typing in the editor and, the reference, in the bare textarea (same windows, same page): what the
   * app costs the machine per keystroke, which the load around it does not change. null without /proc.
   */
  readonly cpuMsPerKeystroke: { readonly editor: number | null; readonly textarea: number | null };
  /** The machine's 1-minute load average when the size started and when it ended (others' work included). */
  readonly loadAverage: { readonly start: number; readonly end: number | null };
  /** The relay's warnings by kind (backpressure, slow-consumer, heartbeat-timeout…). */
  readonly relayWarnings: Readonly<Record<string, number>>;
  /** Per warning kind, the nodes (or remote addresses) it named, in order, with the run's second it came. */
  readonly relayWarningNodes?: Readonly<Record<string, readonly string[]>>;
  /** Per engine: every window's badge says converged (digests equal) at the end. */
  readonly converged: Readonly<Record<string, boolean>> | null;
  /** What did not finish within the timeout, and where the run stopped if it hit its cap. */
  readonly timeouts: readonly string[];
}

export interface AppBenchReport {
  readonly benchmark: 'app';
  readonly machine: { readonly cores: number; readonly chromium: string; readonly node: string };
  readonly textSource: string;
  readonly windows: number;
  readonly engines: readonly string[];
  readonly keys: number;
  readonly runs: readonly AppBenchRun[];
}

/** The final text of the automerge-paper trace: ../shared/traces from the repository or a folder above it. */
export function findTraceText(
  start: string,
  file = 'automerge-paper.json.gz',
): { text: string; source: string } {
  let dir = resolve(start);
  for (;;) {
    const candidate = join(dir, 'shared', 'traces', file);
    if (existsSync(candidate)) {
      const json = JSON.parse(gunzipSync(readFileSync(candidate)).toString('utf8')) as {
        endContent?: unknown;
      };
      if (typeof json.endContent !== 'string' || json.endContent.length === 0)
        throw new Error(`${file} has no endContent`);
      return { text: json.endContent, source: `shared/traces/${file} (endContent)` };
    }
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no shared/traces/${file} above ${start}; pass --trace FILE`);
    dir = parent;
  }
}

/** `text` repeated (and cut) to `size` characters. */
export function textOfSize(text: string, size: number): string {
  return text.repeat(Math.ceil(size / text.length)).slice(0, size);
}

export function percentiles(samples: readonly number[]): Percentiles {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number =>
    sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] ?? NaN;
  return { n: sorted.length, p50: round(at(0.5)), p95: round(at(0.95)), max: round(sorted.at(-1) ?? NaN) };
}

/** Event Timing durations of `pressed` keys: the keys without an entry (under 16 ms) count as 16 ms. */
export function eventTimingPercentiles(durations: readonly number[], pressed: number): Percentiles {
  const missing = Math.max(0, pressed - durations.length);
  return percentiles([...durations, ...Array.from({ length: missing }, () => EVENT_TIMING_THRESHOLD_MS)]);
}

/** The Event Timing API's smallest durationThreshold: shorter events are not reported. */
const EVENT_TIMING_THRESHOLD_MS = 16;

function round(ms: number): number {
  return Math.round(ms * 10) / 10;
}

export async function runAppBench(options: AppBenchOptions): Promise<AppBenchReport> {
  const executablePath = chromiumExecutable();
  const browser = await chromium.launch({
    args: [...CHROMIUM_ARGS],
    ...(executablePath !== undefined ? { executablePath } : {}),
  });
  try {
    const runs: AppBenchRun[] = [];
    for (const size of options.sizes) runs.push(await runSize(browser, size, options));
    const { availableParallelism } = await import('node:os');
    return {
      benchmark: 'app',
      machine: { cores: availableParallelism(), chromium: browser.version(), node: process.version },
      textSource: options.textSource,
      windows: options.only === 'reopen' ? 2 : 3,
      engines: ENGINES.names,
      keys: options.keys,
      runs,
    };
  } finally {
    await browser.close();
  }
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
/** A run as it is filled in, phase by phase. */
type RunDraft = Omit<Mutable<AppBenchRun>, 'keystrokeMs' | 'keystrokeEventTimingMs' | 'cpuMsPerKeystroke'> & {
  keystrokeMs: Mutable<AppBenchRun['keystrokeMs']>;
  keystrokeEventTimingMs: Mutable<NonNullable<AppBenchRun['keystrokeEventTimingMs']>>;
  cpuMsPerKeystroke: Mutable<AppBenchRun['cpuMsPerKeystroke']>;
};

/** The phases of one size, each waiting at most the timeout; the whole at most `capPhases` timeouts. */
async function runSize(browser: Browser, size: number, options: AppBenchOptions): Promise<AppBenchRun> {
  const log = options.log ?? (() => {});
  const dataDir = await mkdtemp(join(tmpdir(), 'converge-bench-app-'));
  const room = `bench-${size}`;
  const relayWarnings: Record<string, number> = {};
  const relayWarningNodes: Record<string, string[]> = {};
  const startedAt = Date.now();
  const attachRelay = attachEmbeddedRelayLoggingTo((line) => {
    const event = JSON.parse(line) as { violation?: string; event?: string; node?: string; remote?: string };
    const kind = event.violation ?? event.event ?? 'other';
    relayWarnings[kind] = (relayWarnings[kind] ?? 0) + 1;
    const at = Math.round((Date.now() - startedAt) / 1000);
    const nodes = relayWarningNodes[kind] ?? [];
    nodes.push(`${event.node ?? event.remote ?? '?'}@${at}s`);
    relayWarningNodes[kind] = nodes;
  });
  const web = await startWebMode({ port: 0, dataDir, room, warn: () => {}, attachRelay });
  const context = await browser.newContext({ viewport: { width: 1360, height: 940 } });
  trackWebSockets(context);
  const run: RunDraft = {
    sizeChars: size,
    keystrokeMs: { editor: null, textarea: null },
    keystrokeEventTimingMs: { editor: null, textarea: null },
    paste: null,
    selectAllDelete: null,
    wireBytesPerKeystroke: null,
    reopenMs: null,
    newWindow: null,
    spansPerKeystroke: null,
    backpressureDrops: null,
    relayBytes: null,
    cpuMsPerKeystroke: { editor: null, textarea: null },
    loadAverage: { start: round(loadavg()[0] ?? NaN), end: null },
    relayWarnings,
    relayWarningNodes,
    relayLinks: null,
    convergenceBeforeReopenMs: null,
    converged: null,
    timeouts: [],
  };
  let phase = 'start';
  const phases = (name: string): void => {
    phase = name;
    log(`  ${name}`);
  };
  const cap = options.timeoutMs * CAP_PHASES;
  let capTimer: NodeJS.Timeout | undefined;
  const capped = new Promise<'capped'>((resolveCap) => {
    capTimer = setTimeout(() => resolveCap('capped'), cap);
  });
  try {
    log(`${size} characters`);
    const drops = async (): Promise<number | null> => {
      const traffic = await relayTraffic(web, dataDir, room).catch(() => null);
      if (traffic !== null) {
        run.relayBytes = traffic.bytesByEngine;
        run.relayLinks ??= traffic.bytesByLink;
      }
      return traffic?.backpressureDrops ?? null;
    };
    const measure = options.only === 'reopen' ? measureReopen : measureSize;
    const measured = measure(context, web, size, options, run, phases, drops).then(
      () => 'done' as const,
      (error: unknown) => error,
    );
    const outcome = await Promise.race([measured, capped]);
    if (outcome === 'capped') (run.timeouts as string[]).push(`stopped at ${phase} (cap of ${cap / 1000} s)`);
    else if (outcome !== 'done') (run.timeouts as string[]).push(`failed at ${phase}: ${String(outcome)}`);
    // A run stopped at its cap still has its windows open: the relay still knows the room.
    if (run.backpressureDrops === null) run.backpressureDrops = await drops();
    run.loadAverage = { ...run.loadAverage, end: round(loadavg()[0] ?? NaN) };
    return run;
  } finally {
    clearTimeout(capTimer);
    const t0 = Date.now();
    log('  closing the windows');
    await context.close();
    log(`  closing web mode (windows closed in ${Date.now() - t0} ms)`);
    const t1 = Date.now();
    await web.close();
    log(`  web mode closed in ${Date.now() - t1} ms`);
    await rm(dataDir, { recursive: true, force: true });
  }
}

/** What DevTools' performance panel records, with forced layouts' stacks and V8's samples. */
const TRACE_CATEGORIES = [
  'devtools.timeline',
  'disabled-by-default-devtools.timeline',
  'disabled-by-default-devtools.timeline.stack',
  'disabled-by-default-devtools.timeline.frame',
  'v8.execute',
  'blink.user_timing',
  'disabled-by-default-v8.cpu_profiler',
];

/** A run stops after this many timeouts' worth of waiting, wherever it is, and reports what it has. */
const CAP_PHASES = 8;

/** One size's measures, filling in `run`. */
type Measure = (
  context: BrowserContext,
  web: WebMode,
  size: number,
  options: AppBenchOptions,
  run: RunDraft,
  phases: (name: string) => void,
  /** Frames the relay dropped for backpressure so far (read while the windows keep the room open). */
  drops: () => Promise<number | null>,
) => Promise<void>;

/** `work` within the run's timeout; a miss is listed in the run's timeouts. */
function withinOf(options: AppBenchOptions, run: RunDraft) {
  return <T>(what: string, work: (deadline: number) => Promise<T>): Promise<T | null> =>
    bounded(what, options.timeoutMs, run.timeouts as string[], work);
}

const measureSize: Measure = async (context, web, size, options, run, phases, drops) => {
  const text = textOfSize(options.text, size);
  const timeouts = run.timeouts as string[];
  const within = withinOf(options, run);

  phases('opening three windows');
  const [a, b, c] = [
    await open(context, web, 'a'),
    await open(context, web, 'b'),
    await open(context, web, 'c'),
  ];
  for (const page of [a, b, c]) await waitOnline(page, options.timeoutMs);
  // Started before the action they wait for; a rejection (a page closed on timeout) is handled.
  const othersHave = (n: number): Promise<number[]> => {
    const seen = Promise.all([b, c].map((p) => p.evaluate(`__bench.whenLength(${n})`) as Promise<number>));
    seen.catch(() => {});
    return seen;
  };

  phases('paste of the whole document');
  const pasteSeen = othersHave(size);
  const paste = (await a.evaluate(`__bench.paste(${JSON.stringify(text)})`)) as {
    startedAt: number;
    appliedMs: number;
    paintedMs: number;
  };
  const pasteOthers = await within('paste reaching the other windows', () => pasteSeen);
  run.paste = {
    appliedMs: round(paste.appliedMs),
    paintedMs: round(paste.paintedMs),
    otherWindowsMs: pasteOthers === null ? null : round(Math.max(...pasteOthers) - paste.startedAt),
  };
  await within('convergence after the paste', (deadline) => converged([a, b, c], deadline));

  phases('keystrokes: reference textarea');
  await a.evaluate(`__bench.addTextarea(${JSON.stringify(text)})`);
  const textareaCpu = cpuPerKey();
  const textarea = await typeMeasured(a, options.keys, Date.now() + options.timeoutMs);
  run.cpuMsPerKeystroke.textarea = textareaCpu.stop(textarea.pressed);
  if (textarea.pressed < options.keys) timeouts.push(`textarea typing (${textarea.pressed} keys in time)`);
  run.keystrokeMs.textarea = percentiles(textarea.latencies);
  run.keystrokeEventTimingMs.textarea = eventTimingPercentiles(textarea.eventDurations, textarea.pressed);
  await a.evaluate('__bench.removeTextarea()');

  phases('keystrokes: editor');
  await a.evaluate('__bench.focusEditorEnd()');
  await a.keyboard.press('Control+End');
  const wire = countSentBytes(a);
  const browser = context.browser();
  if (options.chromeTrace !== undefined && browser !== null)
    await browser.startTracing(a, { path: options.chromeTrace, categories: TRACE_CATEGORIES });
  const editorCpu = cpuPerKey();
  const editor = await typeMeasured(a, options.keys, Date.now() + options.timeoutMs);
  run.cpuMsPerKeystroke.editor = editorCpu.stop(editor.pressed);
  if (options.chromeTrace !== undefined && browser !== null) await browser.stopTracing();
  if (editor.pressed < options.keys) timeouts.push(`editor typing (${editor.pressed} keys in time)`);
  const wireBytes = wire.stop();
  const pressed = Math.max(1, editor.pressed);
  run.keystrokeMs.editor = percentiles(editor.latencies);
  run.keystrokeEventTimingMs.editor = eventTimingPercentiles(editor.eventDurations, editor.pressed);
  run.wireBytesPerKeystroke = Object.fromEntries(
    ENGINES.names.map((engine) => [engine, Math.round((wireBytes[engine]?.bytes ?? 0) / pressed)]),
  );
  run.wireBreakdownPerKeystroke = Object.fromEntries(
    ENGINES.names.map((engine) => [
      engine,
      Object.fromEntries(
        Object.entries(wireBytes[engine]?.byKind ?? {})
          .sort(([x], [y]) => x.localeCompare(y))
          .map(([kind, bytes]) => [kind, Math.round(bytes / pressed)]),
      ),
    ]),
  );
  await a.waitForTimeout(200); // the observer's last entries
  const spans = (await a.evaluate('__bench.spans()')) as Record<
    string,
    { count: number; totalMs: number; maxMs: number }
  >;
  run.spansPerKeystroke = Object.fromEntries(
    Object.entries(spans).map(([name, span]) => [
      name,
      { ms: round(span.totalMs / pressed), count: span.count, maxMs: round(span.maxMs) },
    ]),
  );
  await within('keystrokes reaching the other windows', () => othersHave(size + editor.pressed));

  phases('select all + delete');
  await a.keyboard.press('Control+a');
  const deleteSeen = othersHave(0);
  await a.evaluate('__bench.arm(true)');
  await a.keyboard.press('Delete');
  const deleteAt = (await a.evaluate('__bench.lastKeyAt()')) as number;
  const deletePainted = await within('select-all + delete painted', (deadline) =>
    waitLatencies(a, 1, deadline),
  );
  const deleteOthers = await within('delete reaching the other windows', () => deleteSeen);
  await a.evaluate('__bench.arm(false)');
  run.selectAllDelete = {
    paintedMs: deletePainted === null ? null : round(deletePainted[0] ?? NaN),
    otherWindowsMs: deleteOthers === null ? null : round(Math.max(...deleteOthers) - deleteAt),
  };

  phases('the document again, then reopen');
  const again = othersHave(size);
  await a.evaluate(`__bench.paste(${JSON.stringify(text)})`);
  await within('second paste reaching the other windows', () => again);
  const convergenceFrom = Date.now();
  const convergedBeforeReopen = await within('convergence before reopening', (deadline) =>
    converged([a, b, c], deadline).then(() => true),
  );
  run.convergenceBeforeReopenMs = convergedBeforeReopen === null ? null : Date.now() - convergenceFrom;
  await drops(); // the links' counts while all three windows are still open (run.relayLinks)
  const { reopened, fresh } = await reopenAndNewWindow(context, web, b, size, run, phases, within);

  phases('convergence');
  const windows = [a, reopened, c, fresh];
  await within('final convergence', (deadline) => converged(windows, deadline));
  const badges = (await Promise.all(windows.map((p) => p.evaluate(BADGES)))) as Record<string, string>[];
  run.converged = Object.fromEntries(
    ENGINES.names.map((engine) => [engine, badges.every((b) => b[engine] === 'converged')]),
  );
  run.backpressureDrops = await drops();
  for (const page of context.pages()) await page.close();
};

/** Two windows get the document; then one reopens on its store, and a new window receives it. */
const measureReopen: Measure = async (context, web, size, options, run, phases, drops) => {
  const text = textOfSize(options.text, size);
  const within = withinOf(options, run);
  phases('opening two windows');
  const [a, b] = [await open(context, web, 'a'), await open(context, web, 'b')];
  for (const page of [a, b]) await waitOnline(page, options.timeoutMs);
  phases('paste of the whole document');
  const seen = b.evaluate(`__bench.whenLength(${size})`);
  seen.catch(() => {});
  await a.evaluate(`__bench.paste(${JSON.stringify(text)})`);
  await within('paste reaching the other window', () => seen);
  await within('convergence before reopening', (deadline) => converged([a, b], deadline));
  phases('reopen');
  // Here the trace (if asked for) is of the two starts, not of typing: this part types nothing.
  const browser = context.browser();
  const tracing = options.chromeTrace !== undefined && browser !== null;
  if (tracing) await browser.startTracing(a, { path: options.chromeTrace, categories: TRACE_CATEGORIES });
  const { reopened, fresh } = await reopenAndNewWindow(context, web, b, size, run, phases, within);
  if (tracing) await browser.stopTracing();
  run.startSteps = {
    reopen: run.reopenMs === null ? null : await startSteps(reopened, run.reopenMs),
    newWindow: run.newWindow?.receivedMs == null ? null : await startSteps(fresh, run.newWindow.receivedMs),
  };
  run.backpressureDrops = await drops();
  for (const page of context.pages()) await page.close();
};

/** Window B closes and reopens on its store (`reopenMs`), then a new window D opens (`newWindow`). */
async function reopenAndNewWindow(
  context: BrowserContext,
  web: WebMode,
  b: Page,
  size: number,
  run: RunDraft,
  phases: (name: string) => void,
  within: ReturnType<typeof withinOf>,
): Promise<{ reopened: Page; fresh: Page }> {
  await b.close({ runBeforeUnload: true });
  const reopened = await openWindow(context);
  const reopen = await within('reopen', (deadline) => loadUntilLength(reopened, web, 'b', size, deadline));
  run.reopenMs = reopen === null ? null : round(reopen.ms);
  phases('a new window');
  const fresh = await openWindow(context);
  const arrival = await within('new window', (deadline) => loadUntilLength(fresh, web, 'd', size, deadline));
  run.newWindow = {
    receivedMs: arrival === null ? null : round(arrival.ms),
    progressShown: arrival?.progressShown ?? false,
  };
  return { reopened, fresh };
}

/** The page's own timeline, its marks and paints, as [origin, [name, ms]…]. */
const TIMELINE = `(() => [performance.timeOrigin, [
  ...performance.getEntriesByType('mark').filter((m) => m.name.startsWith('converge:')),
  ...performance.getEntriesByType('paint').filter((p) => p.name === 'first-contentful-paint'),
].map((e) => [e.name.replace(/^converge:/, ''), e.startTime])])()`;

/** A window's start steps (see StartSteps), its worker's on the page's timeline. */
async function startSteps(page: Page, shownMs: number): Promise<StartSteps> {
  const [origin, marks] = (await page.evaluate(TIMELINE)) as [number, [string, number][]];
  const steps: Record<string, number> = {};
  for (const [name, at] of marks) steps[name] ??= round(at); // the first of each (an editor per field)
  for (const worker of page.workers()) {
    const [workerOrigin, workerMarks] = (await worker.evaluate(TIMELINE)) as [number, [string, number][]];
    if (workerMarks.length === 0) continue;
    steps['worker-created'] = round(workerOrigin - origin);
    for (const [name, at] of workerMarks) steps[name] = round(workerOrigin + at - origin);
  }
  steps.shown = round(shownMs);
  return Object.fromEntries(Object.entries(steps).sort(([, x], [, y]) => x - y));
}

async function open(context: BrowserContext, web: WebMode, replica: string): Promise<Page> {
  const page = await openWindow(context);
  await page.goto(urlFor(web, replica));
  await page.getByTestId('text-editor').waitFor();
  await page.evaluate(PROBE);
  return page;
}

/**
 * A new browser window of the context, blank. context.newPage() would add a tab to the context's one
 * window, and headless Chromium draws only a window's active tab at full rate: a keystroke in any other
 * tab waited 0–500 ms for its frame (bench/README.md, "Keystroke latency"), though its page says it is
 * visible and its idle animation frames run at 60 Hz. Three windows, as the user has, each drawn.
 */
export async function openWindow(context: BrowserContext): Promise<Page> {
  const opener = context.pages()[0];
  if (opener === undefined) return context.newPage();
  const opened = context.waitForEvent('page');
  // noopener: the windows share nothing but the context, as windows a user opens do.
  await opener.evaluate(`void window.open('about:blank', '_blank', 'popup,noopener')`);
  return opened;
}

function urlFor(web: WebMode, replica: string): string {
  const url = new URL(web.url);
  url.searchParams.set('replica', replica);
  return url.href;
}

async function waitOnline(page: Page, timeoutMs: number): Promise<void> {
  await page
    .getByTestId('connection-state')
    .filter({ hasText: /^online/ })
    .waitFor({ timeout: timeoutMs });
}

/**
 * Press up to `keys` letters one by one at a typist's pace, until the deadline; the probe's
 * keystroke-to-paint times of the keys pressed (fewer than `keys` when time ran out: `pressed` says).
 */
export async function typeMeasured(
  page: Page,
  keys: number,
  deadline: number,
  { paceMs = 60, bringToFront = true } = {},
): Promise<{ latencies: number[]; eventDurations: number[]; pressed: number }> {
  if (bringToFront) await page.bringToFront(); // its tab drawn (each window has its own: see openWindow)
  await page.evaluate('__bench.arm(true)');
  let pressed = 0;
  while (pressed < keys && Date.now() < deadline) {
    await page.keyboard.press(String.fromCharCode(97 + (pressed % 26)));
    pressed++;
    await page.waitForTimeout(paceMs);
  }
  let latencies: number[] = [];
  for (;;) {
    latencies = (await page.evaluate('__bench.latencies()')) as number[];
    if (latencies.length >= pressed || Date.now() > deadline) break;
    await page.waitForTimeout(20);
  }
  await page.evaluate('__bench.arm(false)');
  await page.waitForTimeout(200); // the last keys' Event Timing entries (delivered after their frame)
  const eventDurations = (await page.evaluate('__bench.eventDurations()')) as number[];
  return { latencies, eventDurations, pressed };
}

/** CPU ms of every process of the run from now until `stop`, per key pressed (null without /proc). */
function cpuPerKey(): { stop(pressed: number): number | null } {
  const start = treeCpuMs();
  return {
    stop(pressed) {
      const end = treeCpuMs();
      return start === null || end === null ? null : round((end - start) / Math.max(1, pressed));
    },
  };
}

async function waitLatencies(page: Page, n: number, deadline: number): Promise<number[]> {
  for (;;) {
    expire(deadline);
    const latencies = (await page.evaluate('__bench.latencies()')) as number[];
    if (latencies.length >= n) return latencies;
    await page.waitForTimeout(20);
  }
}

/** Bytes of the frames a page sends, by engine (the frame's channel) and kind, from now until `stop`. */
function countSentBytes(page: Page): {
  stop(): Record<string, { bytes: number; byKind: Record<string, number> }>;
} {
  const byEngine: Record<string, { bytes: number; byKind: Record<string, number> }> = {};
  const descriptors = new Map(ENGINES.descriptors.map((d) => [d.wireCode, d]));
  const onFrame = (frame: { payload: string | Buffer }): void => {
    if (typeof frame.payload === 'string') return;
    try {
      // One frame may carry several engines' entries (a bundle): each counts its share of the bytes.
      const entries = dataEntries(decodeFrame(new Uint8Array(frame.payload)));
      const shares = entryShares(entries, frame.payload.length);
      entries.forEach((entry, i) => {
        const bytes = shares[i] ?? 0;
        const descriptor = descriptors.get(entry.channel);
        const engine = descriptor?.name ?? `channel ${entry.channel}`;
        const counted = byEngine[engine] ?? { bytes: 0, byKind: {} };
        byEngine[engine] = counted;
        counted.bytes += bytes;
        const kind = `${entry.to === null ? 'broadcast' : 'to a peer'}: ${kindOf(descriptor, entry.payload)}`;
        counted.byKind[kind] = (counted.byKind[kind] ?? 0) + bytes;
      });
    } catch {
      // Not a relay frame: not counted.
    }
  };
  const sockets: { off(event: 'framesent', listener: typeof onFrame): unknown }[] = [];
  for (const socket of webSocketsOf(page)) {
    socket.on('framesent', onFrame);
    sockets.push(socket);
  }
  return {
    stop() {
      for (const socket of sockets) socket.off('framesent', onFrame);
      return byEngine;
    },
  };
}

/** A data frame's payload: a digest, or the engine's sync message as its descriptor names it ("sync (3 changes)" as "sync (changes)"). */
function kindOf(
  descriptor: { describePayload(p: Uint8Array): string } | undefined,
  payload: Uint8Array,
): string {
  try {
    const message = decodeReplicaMessage(payload);
    if (message.kind !== 'sync') return message.kind;
    return (descriptor?.describePayload(message.payload) ?? 'sync').replace(/\d+ changes?/, 'changes');
  } catch {
    return 'unrecognised';
  }
}

/** Every page keeps the WebSockets it opened, so the wire can be counted from any moment on. */
const openSockets = new WeakMap<Page, Set<import('@playwright/test').WebSocket>>();

function webSocketsOf(page: Page): Set<import('@playwright/test').WebSocket> {
  return openSockets.get(page) ?? new Set();
}

export function trackWebSockets(context: BrowserContext): void {
  context.on('page', (page) => {
    const sockets = new Set<import('@playwright/test').WebSocket>();
    openSockets.set(page, sockets);
    page.on('websocket', (socket) => {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    });
  });
}

/** Load a window and poll until its editor shows `size` characters: ms since navigation start. */
async function loadUntilLength(
  page: Page,
  web: WebMode,
  replica: string,
  size: number,
  deadline: number,
): Promise<{ ms: number; progressShown: boolean }> {
  await page.goto(urlFor(web, replica), { waitUntil: 'commit' });
  let progressShown = false;
  for (;;) {
    expire(deadline);
    const [length, at, progress] = (await page.evaluate(LOAD_STATE)) as [number, number, boolean];
    progressShown ||= progress;
    if (length === size) return { ms: at, progressShown };
    await page.waitForTimeout(5);
  }
}

/** Until every window's badge says converged, for every engine. */
async function converged(pages: readonly Page[], deadline: number): Promise<void> {
  for (;;) {
    expire(deadline);
    const badges = (await Promise.all(pages.map((p) => p.evaluate(BADGES)))) as Record<string, string>[];
    if (badges.every((b) => ENGINES.names.every((engine) => b[engine] === 'converged'))) return;
    await pages[0]?.waitForTimeout(100);
  }
}

class Expired extends Error {}

function expire(deadline: number): void {
  if (Date.now() > deadline) throw new Expired('timed out');
}

/** `work` given a deadline; null (and `what` listed) when it fails or outlives `timeoutMs`. */
async function bounded<T>(
  what: string,
  timeoutMs: number,
  failures: string[],
  work: (deadline: number) => Promise<T>,
): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<{ readonly expired: true }>((resolveTimer) => {
    timer = setTimeout(() => resolveTimer({ expired: true }), timeoutMs + 100);
  });
  const task = work(Date.now() + timeoutMs).then(
    (value) => ({ value }),
    (error: unknown) => ({ error }),
  );
  const result = await Promise.race([task, expired]);
  clearTimeout(timer);
  if ('value' in result) return result.value;
  failures.push(
    'error' in result && !(result.error instanceof Expired) ? `${what}: ${String(result.error)}` : what,
  );
  return null;
}

/**
 * From the relay's admin API: frames it dropped for backpressure in the room (the counters of the room's
 * current links, plus what was dropped on the links of nodes that left: a slow consumer the relay
 * closed, a window a reconnect replaced, which the relay keeps as the room's departed totals), and the
 * bytes its current links delivered per engine.
 */
async function relayTraffic(
  web: WebMode,
  dataDir: string,
  room: string,
): Promise<{
  backpressureDrops: number;
  bytesByEngine: Record<string, number>;
  bytesByLink: Record<string, Record<string, number>>;
}> {
  const secrets = await loadWebSecrets({
    dataDir,
    generate: () => {
      throw new Error('web mode has not written its secrets');
    },
    warn: () => {},
  });
  const response = await fetch(`${web.adminUrl}/rooms/${encodeURIComponent(room)}/traffic`, {
    headers: { authorization: `Bearer ${secrets.relayAdminToken}` },
  });
  if (!response.ok) throw new Error(`relay traffic: HTTP ${response.status}`);
  const body = (await response.json()) as {
    links: {
      from: string;
      to: string;
      channels: Record<string, { bytes: number }>;
      dropped: { backpressure: number };
    }[];
    departed?: { dropped: { backpressure: number } };
  };
  const departed = body.departed?.dropped.backpressure ?? 0;
  const bytesByEngine: Record<string, number> = {};
  for (const descriptor of ENGINES.descriptors) {
    const channel = String(descriptor.wireCode);
    bytesByEngine[descriptor.name] = body.links.reduce(
      (n, link) => n + (link.channels[channel]?.bytes ?? 0),
      0,
    );
  }
  const bytesByLink: Record<string, Record<string, number>> = {};
  for (const link of body.links) {
    bytesByLink[`${link.from}→${link.to}`] = Object.fromEntries(
      ENGINES.descriptors.map((d) => [d.name, link.channels[String(d.wireCode)]?.bytes ?? 0]),
    );
  }
  return {
    backpressureDrops: body.links.reduce((n, link) => n + link.dropped.backpressure, departed),
    bytesByEngine,
    bytesByLink,
  };
}
