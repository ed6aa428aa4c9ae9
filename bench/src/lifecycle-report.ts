/**
 * The lifecycle soaks' results (see lifecycle.ts): memory samples, their flat form for the worker
 * protocol, the verdict (memory after the last cycle within 10% of the reference sample taken after
 * the warm-up) and the Markdown tables `npm run bench:lifecycle` prints.
 */
/** A worker's figures: named numbers. */
type Figures = Record<string, number>;

export interface MemorySample {
  /** Cycles (or rooms) done when the sample was taken; 0 is before the first. */
  readonly after: number;
  readonly rss: number;
  readonly external: number;
  readonly heapUsed: number;
}

export interface SoakResult {
  readonly samples: readonly MemorySample[];
  readonly seconds: number;
}

/** Memory after the last cycle may exceed the reference by this factor at most. */
export const ALLOWED_GROWTH = 1.1;

/**
 * Node flags of the soak workers. V8 grows its young generation on its own schedule, up to two 16 MB
 * semi-spaces on 64-bit Node 20, sometimes only after thousands of cycles; that one-time growth of
 * committed (not used) memory would read as RSS growth, so the young generation starts at that size.
 */
export const SOAK_NODE_FLAGS: readonly string[] = ['--min-semi-space-size=16', '--max-semi-space-size=16'];

const FIELDS = ['after', 'rss', 'external', 'heapUsed'] as const;

export function soakFigures(result: SoakResult): Figures {
  const figures: Figures = { seconds: result.seconds, samples: result.samples.length };
  result.samples.forEach((sample, index) => {
    for (const field of FIELDS) figures[`${field}.${index}`] = sample[field];
  });
  return figures;
}

export function soakFromFigures(figures: Figures): SoakResult {
  const count = figures.samples ?? 0;
  const samples: MemorySample[] = [];
  for (let index = 0; index < count; index++) {
    const value = (field: (typeof FIELDS)[number]): number => {
      const n = figures[`${field}.${index}`];
      if (typeof n !== 'number') throw new Error(`soak figures lack ${field}.${index}`);
      return n;
    };
    samples.push({
      after: value('after'),
      rss: value('rss'),
      external: value('external'),
      heapUsed: value('heapUsed'),
    });
  }
  return { samples, seconds: figures.seconds ?? Number.NaN };
}

export interface SoakVerdict {
  readonly reference: MemorySample;
  readonly last: MemorySample;
  readonly rssRatio: number;
  readonly externalRatio: number;
  readonly ok: boolean;
}

/** Last sample against the one taken after `warmup` cycles. */
export function verdict(result: SoakResult, warmup: number): SoakVerdict {
  const reference = result.samples.find((s) => s.after === warmup);
  const last = result.samples.at(-1);
  if (reference === undefined || last === undefined || last === reference)
    throw new Error(`a soak needs a sample after the warm-up (${warmup}) and a later one`);
  const rssRatio = last.rss / reference.rss;
  const externalRatio = last.external / reference.external;
  return {
    reference,
    last,
    rssRatio,
    externalRatio,
    ok: rssRatio <= ALLOWED_GROWTH && externalRatio <= ALLOWED_GROWTH,
  };
}

const mb = (bytes: number): string => (bytes / (1024 * 1024)).toFixed(1);
const pct = (ratio: number): string => `${ratio >= 1 ? '+' : ''}${((ratio - 1) * 100).toFixed(1)}%`;
const count = (n: number): string => n.toLocaleString('en');

export interface SoakRow {
  readonly label: string;
  readonly result: SoakResult;
  readonly warmup: number;
}

/** One row per soak: RSS and external memory after the warm-up and after the last cycle. */
export function soakTable(unit: string, rows: readonly SoakRow[]): string {
  const lines = [
    `| ${unit} | RSS after warm-up (MB) | RSS after last (MB) | RSS change | external after warm-up (MB) | external after last (MB) | external change | heap after last (MB) | s | within 10% |`,
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|:---:|',
  ];
  for (const { label, result, warmup } of rows) {
    const v = verdict(result, warmup);
    lines.push(
      `| ${label} (${count(v.reference.after)} → ${count(v.last.after)}) | ${mb(v.reference.rss)} | ${mb(v.last.rss)} | ${pct(v.rssRatio)} | ${mb(v.reference.external)} | ${mb(v.last.external)} | ${pct(v.externalRatio)} | ${mb(v.last.heapUsed)} | ${result.seconds.toFixed(0)} | ${v.ok ? 'yes' : '**no**'} |`,
    );
  }
  return lines.join('\n');
}

/** Every sample of one soak, to show the curve. */
export function sampleTable(unit: string, result: SoakResult): string {
  const lines = [`| after ${unit} | RSS (MB) | external (MB) | heap (MB) |`, '|---:|---:|---:|---:|'];
  for (const s of result.samples)
    lines.push(`| ${count(s.after)} | ${mb(s.rss)} | ${mb(s.external)} | ${mb(s.heapUsed)} |`);
  return lines.join('\n');
}
