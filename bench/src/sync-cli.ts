// `npm run bench:sync`: three replicas, one typing into a large text (sync-bench.ts).
import { readCommandLine, runCommand } from './command-line.ts';
import { runSyncBench, type SyncBenchResult, syncBenchTable } from './sync-bench.ts';

const USAGE = `usage: npm run bench:sync -- [--sizes 150000,1000000] [--keystrokes N] [--interval-ms MS]
                          [--timeout-ms MS] [--backpressure BYTES_PER_MS:MAX_QUEUED] [--json]
  --sizes LIST        text sizes in characters (default 150000,1000000)
  --keystrokes N      characters typed (default 30)
  --interval-ms MS    time between keystrokes (default 150, a human typist)
  --timeout-ms MS     how long to wait for the replicas to agree (default 60000)
  --backpressure B:Q  every downlink a slow consumer: B bytes per ms, frames dropped over Q queued bytes
  --json              one JSON array instead of the tables
  -h, --help          this text`;

function positive(value: string | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!(Number.isInteger(n) && n > 0)) throw new Error(`expected a positive integer, got ${value}`);
  return n;
}

async function main(): Promise<number> {
  const values = readCommandLine(USAGE, {
    sizes: { type: 'string' },
    keystrokes: { type: 'string' },
    'interval-ms': { type: 'string' },
    'timeout-ms': { type: 'string' },
    backpressure: { type: 'string' },
    json: { type: 'boolean' },
  });
  if (typeof values === 'number') return values;
  let sizes: number[];
  let keystrokes: number;
  let intervalMs: number;
  let timeoutMs: number;
  let backpressure: { bytesPerMs: number; maxQueuedBytes: number } | undefined;
  try {
    sizes = String(values.sizes ?? '150000,1000000')
      .split(',')
      .map((s) => positive(s, 0));
    keystrokes = positive(values.keystrokes as string | undefined, 30);
    intervalMs = positive(values['interval-ms'] as string | undefined, 150);
    timeoutMs = positive(values['timeout-ms'] as string | undefined, 60_000);
    if (typeof values.backpressure === 'string') {
      const [rate, queued] = values.backpressure.split(':');
      backpressure = { bytesPerMs: positive(rate, 0), maxQueuedBytes: positive(queued, 0) };
    }
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const results: SyncBenchResult[] = [];
  for (const textBytes of sizes) {
    process.stderr.write(`${textBytes.toLocaleString('en-US')} characters: seeding and typing…\n`);
    results.push(await runSyncBench({ textBytes, keystrokes, intervalMs, timeoutMs, backpressure }));
  }
  process.stdout.write(
    values.json === true ? `${JSON.stringify(results)}\n` : `${results.map(syncBenchTable).join('\n\n')}\n`,
  );
  const converged = results.every((r) => Object.values(r.engines).every((e) => e.convergedMs !== null));
  return converged ? 0 : 1;
}

runCommand(main);
