/**
 * npm run bench:app [-- --json] [--sizes 150000,1000000] [--keys 80] [--trace FILE] [--timeout-ms 60000] [--chrome-trace OUT.json]
 * npm run bench:app -- --from REPORT.json (prints the table of a saved JSON report)
 * npm run bench:app -- --only reopen (only a reopen and a new window, with where their starts went)
 * Builds nothing itself (the npm script builds the web renderer first); prints a table with the issue's
 * targets, or with --json one JSON object. A benchmark, not a test: it never fails on a missed target.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { gunzipSync } from 'node:zlib';
import {
  type AppBenchReport,
  type AppBenchRun,
  findTraceText,
  type Percentiles,
  runAppBench,
} from './app-bench.ts';

/** Issue 19's targets, by document size in characters. */
const TARGETS = {
  keystrokeP95Ms: (size: number) => (size <= 150_000 ? 16 : 33),
  pasteMs: 500,
  selectAllDeleteMs: 300,
  otherWindowsMs: 1000,
  wireBytesPerKeystroke: 200,
  reopenMs: 500,
  newWindowMs: 1000,
} as const;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean' },
      sizes: { type: 'string' },
      keys: { type: 'string' },
      trace: { type: 'string' },
      'timeout-ms': { type: 'string' },
      only: { type: 'string' },
      /** A Chrome trace of the editor's typing phase (with --only reopen: of the two starts), for DevTools. */
      'chrome-trace': { type: 'string' },
      /** Print the table of a JSON report written earlier (no run). */
      from: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(
      'npm run bench:app -- [--json] [--sizes 150000,1000000] [--keys 80] [--trace FILE.json.gz] [--timeout-ms 60000]\n' +
        '       npm run bench:app -- --chrome-trace FILE.json  (also a Chrome trace of the editor typing phase)\n' +
        '       npm run bench:app -- --from REPORT.json   (the table of a saved --json report)\n' +
        '       npm run bench:app -- --only reopen        (only a reopen and a new window, with their start steps)\n' +
        '       npm run bench:app -- --only reopen --chrome-trace FILE.json  (and a Chrome trace of those two starts)\n',
    );
    return;
  }
  if (values.from !== undefined) {
    process.stdout.write(table(JSON.parse(readFileSync(values.from, 'utf8')) as AppBenchReport));
    return;
  }
  if (values.only !== undefined && values.only !== 'reopen')
    throw new Error(`--only: ${values.only} is not a part the bench can run alone (reopen)`);
  const sizes = (values.sizes ?? '150000,1000000').split(',').map((s) => positive(s, '--sizes'));
  const keys = positive(values.keys ?? '80', '--keys');
  const timeoutMs = positive(values['timeout-ms'] ?? '60000', '--timeout-ms');
  const trace =
    values.trace !== undefined
      ? { text: endContent(values.trace), source: values.trace }
      : findTraceText(resolve(import.meta.dirname, '../..'));
  const report = await runAppBench({
    sizes,
    keys,
    text: trace.text,
    textSource: trace.source,
    timeoutMs,
    ...(values.only === 'reopen' ? { only: 'reopen' as const } : {}),
    ...(values['chrome-trace'] !== undefined ? { chromeTrace: resolve(values['chrome-trace']) } : {}),
    // Progress on stderr either way: stdout carries only the table or the JSON.
    log: (line) => process.stderr.write(`${line}\n`),
  });
  process.stdout.write(values.json === true ? `${JSON.stringify(report, null, 2)}\n` : table(report));
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag}: ${text} is not a positive whole number`);
  return n;
}

function endContent(file: string): string {
  const raw = readFileSync(file);
  const json = JSON.parse((file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8')) as {
    endContent?: unknown;
  };
  if (typeof json.endContent !== 'string') throw new Error(`${file} has no endContent`);
  return json.endContent;
}

/** The report as a Markdown table: one row per measure, one column per document size, targets beside. */
function table(report: AppBenchReport): string {
  const runs = report.runs;
  const kb = (run: AppBenchRun) => `${Math.round(run.sizeChars / 1000)} K chars`;
  const NOT = 'not reached';
  const ms = (value: number | null | undefined) =>
    value === null || value === undefined ? NOT : `${value} ms`;
  const mark = (value: number | null | undefined, limit: number) =>
    value === null || value === undefined ? '✗' : value <= limit ? '✓' : '✗';
  const rows: string[][] = [];
  const row = (label: string, target: string, cell: (run: AppBenchRun) => string) =>
    rows.push([label, target, ...runs.map(cell)]);
  const keystrokes = (p: Percentiles | null) =>
    p === null || p.n === 0 ? NOT : `${p.p50} / ${p.p95} ms (n ${p.n})`;
  row('keystroke → painted, editor p50 / p95', 'p95 ≤ 16 ms (150 K), ≤ 33 ms (1 M)', (r) => {
    const p95 = r.keystrokeMs.editor?.p95;
    return `${keystrokes(r.keystrokeMs.editor)} ${mark(p95, TARGETS.keystrokeP95Ms(r.sizeChars))}`;
  });
  const span = (name: string) => (r: AppBenchRun) => {
    const measured = r.spansPerKeystroke?.[name];
    return measured === undefined ? '—' : `${measured.ms} ms (max ${measured.maxMs} ms)`;
  };
  row('… per keystroke: the runtime applying it (converge:apply)', 'runtime', span('converge:apply'));
  row(
    '… per keystroke: whole-state snapshot (converge:snapshot)',
    'mostly runtime',
    span('converge:snapshot'),
  );
  row('… per keystroke: Compare panel texts (converge:compare)', 'UI', span('converge:compare'));
  row(
    "… per keystroke: peers' edits into the editor (converge:remote-edit)",
    'UI',
    span('converge:remote-edit'),
  );
  row('keystroke → painted, bare textarea p50 / p95', 'reference', (r) => keystrokes(r.keystrokeMs.textarea));
  row(
    'Event Timing (keydown → frame presented), editor / textarea p50 / p95',
    'as Chromium reports INP; < 16 ms counts as 16',
    (r) =>
      r.keystrokeEventTimingMs === undefined
        ? '—'
        : `${keystrokes(r.keystrokeEventTimingMs.editor)}; ${keystrokes(r.keystrokeEventTimingMs.textarea)}`,
  );
  const cpu = (value: number | null | undefined) =>
    value === null || value === undefined ? '—' : `${value} ms`;
  row('CPU per keystroke, every process of the run: editor / bare textarea', 'reference: textarea', (r) =>
    r.cpuMsPerKeystroke === undefined
      ? '—'
      : `${cpu(r.cpuMsPerKeystroke.editor)} / ${cpu(r.cpuMsPerKeystroke.textarea)}`,
  );
  row('load average (1 min) at start / end', '—', (r) =>
    r.loadAverage === undefined ? '—' : `${r.loadAverage.start} / ${r.loadAverage.end ?? '—'}`,
  );
  row('paste of the document, applied / painted', '≤ 500 ms', (r) =>
    r.paste === null
      ? NOT
      : `${r.paste.appliedMs} / ${r.paste.paintedMs} ms ${mark(r.paste.paintedMs, TARGETS.pasteMs)}`,
  );
  row(
    '… shown in the other windows after',
    '≤ 1 s',
    (r) => `${ms(r.paste?.otherWindowsMs)} ${mark(r.paste?.otherWindowsMs, TARGETS.otherWindowsMs)}`,
  );
  row(
    'select all + Delete, painted',
    '≤ 300 ms',
    (r) =>
      `${ms(r.selectAllDelete?.paintedMs)} ${mark(r.selectAllDelete?.paintedMs, TARGETS.selectAllDeleteMs)}`,
  );
  row(
    '… shown in the other windows after',
    '≤ 1 s',
    (r) =>
      `${ms(r.selectAllDelete?.otherWindowsMs)} ${mark(r.selectAllDelete?.otherWindowsMs, TARGETS.otherWindowsMs)}`,
  );
  for (const engine of report.engines) {
    row(`bytes on the wire per keystroke: ${engine}`, '≤ 200', (r) => {
      const bytes = r.wireBytesPerKeystroke?.[engine];
      return bytes === undefined
        ? NOT
        : `${bytes.toLocaleString('en')} ${mark(bytes, TARGETS.wireBytesPerKeystroke)}`;
    });
    row(`… ${engine} by kind of frame`, '—', (r) => {
      const kinds = Object.entries(r.wireBreakdownPerKeystroke?.[engine] ?? {});
      return kinds.length === 0 ? NOT : kinds.map(([kind, bytes]) => `${kind} ${bytes}`).join('; ');
    });
  }
  row(
    'reopen a window on its stored document',
    '≤ 500 ms',
    (r) => `${ms(r.reopenMs)} ${mark(r.reopenMs, TARGETS.reopenMs)}`,
  );
  row('a new window receives it', '≤ 1 s, progress shown', (r) =>
    r.newWindow === null
      ? NOT
      : `${ms(r.newWindow.receivedMs)}, progress ${r.newWindow.progressShown ? 'shown' : 'not seen'} ${mark(r.newWindow.receivedMs, TARGETS.newWindowMs)}`,
  );
  const steps = (which: 'reopen' | 'newWindow') => (r: AppBenchRun) => {
    const measured = r.startSteps?.[which];
    return measured === undefined || measured === null
      ? '—'
      : Object.entries(measured)
          .map(([name, at]) => `${name} ${at}`)
          .join(' → ');
  };
  row('… reopen: its start, ms after navigation', 'steps', steps('reopen'));
  row('… new window: its start, ms after navigation', 'steps', steps('newWindow'));
  row('frames dropped for backpressure', '0', (r) =>
    r.backpressureDrops === null ? NOT : `${r.backpressureDrops} ${mark(r.backpressureDrops, 0)}`,
  );
  row('relay warnings', '—', (r) => {
    const entries = Object.entries(r.relayWarnings);
    return entries.length === 0 ? 'none' : entries.map(([kind, n]) => `${kind} ×${n}`).join(', ');
  });
  row('every engine converged (digests equal)', 'all', (r) => {
    if (r.converged === null) return NOT;
    const off = Object.entries(r.converged)
      .filter(([, ok]) => !ok)
      .map(([engine]) => engine);
    return off.length === 0 ? 'all ✓' : `not ${off.join(', ')} ✗`;
  });
  const header = ['measure', 'target', ...runs.map(kb)];
  const lines = [header, header.map(() => '---'), ...rows].map((cells) => `| ${cells.join(' | ')} |`);
  const notes = runs.flatMap((r) => r.timeouts.map((t) => `- ${kb(r)}: ${t}`));
  const about = `${report.windows} windows in Chromium ${report.machine.chromium}, ${report.machine.cores} cores, engines ${report.engines.join(', ')}, up to ${report.keys} keystrokes per editor, text: ${report.textSource}`;
  return `${about}\n\n${lines.join('\n')}\n${notes.length > 0 ? `\nDid not finish in time:\n${notes.join('\n')}\n` : ''}`;
}

main().catch((error: unknown) => {
  process.stderr.write(`bench:app: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
