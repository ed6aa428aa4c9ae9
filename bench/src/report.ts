import type { EngineName } from './engines/types.ts';
import { type BenchResult, FIGURE_KEYS, type FigureKey } from './result.ts';

const HEADINGS: Record<FigureKey, string> = {
  replayMs: 'replay ms',
  updateBytes: 'update bytes',
  docBytes: 'doc bytes',
  encodeMs: 'encode ms',
  parseMs: 'parse ms',
  memBytes: 'memory bytes',
  mergeMs: 'merge ms',
};

/** A figure for a table cell: times with one decimal below 100, integers with thousands separators. */
export function formatValue(key: FigureKey, value: number): string {
  if (key.endsWith('Ms')) return value < 100 ? value.toFixed(1) : Math.round(value).toLocaleString('en-US');
  return Math.round(value).toLocaleString('en-US');
}

/** `value / reference` as "0.041×", or "–" when there is no usable reference. */
export function formatRatio(value: number, reference: number | undefined): string {
  if (reference === undefined || !(reference > 0)) return '–';
  const ratio = value / reference;
  const digits = ratio >= 10 ? 0 : ratio >= 1 ? 1 : ratio >= 0.1 ? 2 : 3;
  return `${ratio.toFixed(digits)}×`;
}

/** The engines every figure is compared with, and their marks: Yjs in both formats, json-joy. */
const REFERENCES: readonly { engine: EngineName; mark: string }[] = [
  { engine: 'yjs', mark: 'Y' },
  { engine: 'yjs-v2', mark: 'Y2' },
  { engine: 'json-joy', mark: 'J' },
];

/** A workload's reference results that succeeded, with their marks. */
type References = readonly { result: BenchResult; mark: string }[];

function cell(key: FigureKey, result: BenchResult, references: References): string {
  const value = result[key];
  if (value === undefined) return '';
  const ratios: string[] = [];
  for (const reference of references) {
    if (reference.result !== result)
      ratios.push(`${formatRatio(value, reference.result[key])} ${reference.mark}`);
  }
  return ratios.length > 0 ? `${formatValue(key, value)} (${ratios.join(', ')})` : formatValue(key, value);
}

/**
 * Markdown: one table per workload, one row per engine, every figure with its ratio to Yjs (Y for
 * its default V1 format, Y2 for V2) and to json-joy (J) from the same run. Failed rows say why
 * instead of giving numbers.
 */
export function markdownReport(
  results: readonly BenchResult[],
  describe: (workload: string) => string,
): string {
  const workloads = [...new Set(results.map((r) => r.workload))];
  const out: string[] = [
    'Figures are medians over runs; (0.05× Y, 0.03× Y2, 0.40× J) = ratio to Yjs (V1 updates, its default),',
    'to Yjs with V2 updates (as dmonad/crdt-benchmarks runs it) and to json-joy in this run.',
    '',
  ];
  for (const workload of workloads) {
    const rows = results.filter((r) => r.workload === workload);
    const keys = FIGURE_KEYS.filter((key) => rows.some((r) => r[key] !== undefined));
    const references = REFERENCES.flatMap(({ engine, mark }) => {
      const result = rows.find((r) => r.engine === engine);
      return result?.ok ? [{ result, mark }] : [];
    });
    out.push(`### ${workload}`, '', describe(workload), '');
    const targets = targetLine(rows);
    if (targets !== null) out.push(targets, '');
    out.push(`| engine | ${keys.map((k) => HEADINGS[k]).join(' | ')} |`);
    out.push(`|---|${keys.map(() => '---:').join('|')}|`);
    for (const row of rows) {
      if (!row.ok) {
        out.push(
          `| ${row.engine} | FAILED: ${(row.error ?? 'unknown error').replace(/\|/g, '/').replace(/\n/g, ' ')} |`,
        );
        continue;
      }
      out.push(`| ${row.engine} | ${keys.map((k) => cell(k, row, references)).join(' | ')} |`);
    }
    out.push('');
  }
  return out.join('\n');
}

/** The --json rows: the documented fields only, in a stable order. */
export function jsonRows(results: readonly BenchResult[]): object[] {
  return results.map((r) => {
    const row: Record<string, unknown> = { engine: r.engine as EngineName, workload: r.workload, ok: r.ok };
    // Every documented figure is present (null when the run failed); mergeMs only where it applies.
    for (const key of FIGURE_KEYS) {
      if (key !== 'mergeMs' || r.mergeMs !== undefined) row[key] = r[key] ?? null;
    }
    if (!r.ok) row.error = r.error;
    row.runs = r.runs;
    return row;
  });
}

/** A target of issue 23: converge's figure against a reference's, the ratio it must stay within. */
interface Target {
  readonly key: FigureKey;
  readonly label: string;
  /** The reference engines; the smallest of their figures is the bar. */
  readonly against: readonly EngineName[];
  readonly name: string;
  readonly limit: number;
}

const TARGETS: readonly Target[] = [
  {
    key: 'docBytes',
    label: 'doc bytes',
    against: ['yjs-v2', 'automerge', 'loro', 'json-joy'],
    name: 'the smallest of Yjs V2, Automerge, Loro, json-joy',
    limit: 1,
  },
  { key: 'parseMs', label: 'parse', against: ['loro'], name: "Loro's", limit: 1 },
  { key: 'memBytes', label: 'memory', against: ['loro'], name: "Loro's", limit: 1 },
  { key: 'replayMs', label: 'replay', against: ['gap-buffer'], name: "the gap buffer's", limit: 1.5 },
  { key: 'updateBytes', label: 'update bytes', against: ['yjs'], name: "Yjs V1's", limit: 1 },
  { key: 'mergeMs', label: 'merge', against: ['yjs'], name: "Yjs V1's", limit: 0.5 },
];

/**
 * converge against the targets it has references for in this run, one line: each figure's ratio
 * to its bar, ✓ or ✗. Null when converge or every reference is missing.
 */
export function targetLine(rows: readonly BenchResult[]): string | null {
  const converge = rows.find((r) => r.engine === 'converge' && r.ok);
  if (converge === undefined) return null;
  const parts: string[] = [];
  for (const target of TARGETS) {
    const value = converge[target.key];
    const bars = target.against
      .map((engine) => rows.find((r) => r.engine === engine && r.ok)?.[target.key])
      .filter((v): v is number => v !== undefined && v > 0);
    if (value === undefined || bars.length === 0) continue;
    const bar = Math.min(...bars);
    const ratio = value / bar;
    const limit = target.limit === 1 ? '' : ` (target ≤ ${target.limit}×)`;
    parts.push(
      `${target.label} ${formatRatio(value, bar)} ${target.name}${limit} ${ratio <= target.limit ? '✓' : '✗'}`,
    );
  }
  return parts.length === 0 ? null : `converge against its targets: ${parts.join('; ')}.`;
}
