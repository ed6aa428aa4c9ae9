// `npm run bench:store`: the converge engine's state after a trace opened from the file store, against
// Yjs parsing its own document of the same trace, each in fresh processes (see store-open.ts).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readCommandLine, traceRunsOrExit } from './command-line.ts';
import { median } from './result.ts';
import { runWorker } from './runner.ts';
import { writeConvergeStore } from './store-open.ts';
import { traceName } from './traces.ts';

const USAGE = `usage: npm run bench:store -- [--trace FILE] [--runs N]
  --trace FILE   sequential trace (default: automerge-paper.json.gz in ../shared/traces)
  --runs N       fresh-process runs per engine; figures are medians (default 5)
  -h, --help     this text`;
const TIMEOUT_SECONDS = 900;

async function main(): Promise<number> {
  const values = readCommandLine(USAGE, { trace: { type: 'string' }, runs: { type: 'string' } });
  if (typeof values === 'number') return values;
  const request = traceRunsOrExit(values, USAGE);
  if (typeof request === 'number') return request;
  const { file, workload } = request;
  const runs = request.count ?? 5;

  const dir = mkdtempSync(join(tmpdir(), 'converge-bench-store-'));
  try {
    const storeDir = join(dir, 'store');
    const textFile = join(dir, 'end.txt');
    const docFile = join(dir, 'yjs.doc');
    writeFileSync(textFile, workload.endContent, 'utf8');
    process.stderr.write(`writing the converge store and the Yjs document of ${workload.name}…\n`);
    await writeConvergeStore(workload, storeDir);
    const source = { type: 'trace', name: traceName(file), file } as const;
    const yjsReplay = await runWorker(
      { task: 'replay', engine: 'yjs', workload: source, docFile, textFile: join(dir, 'yjs.txt') },
      TIMEOUT_SECONDS,
    );
    if (!yjsReplay.ok) throw new Error(`yjs replay: ${yjsReplay.error}`);

    const openMs: number[] = [];
    const parseMs: number[] = [];
    for (let run = 1; run <= runs; run++) {
      process.stderr.write(`run ${run}/${runs}\n`);
      const open = await runWorker({ task: 'open-store', storeDir, textFile }, TIMEOUT_SECONDS);
      if (!open.ok) throw new Error(`converge open: ${open.error}`);
      const parse = await runWorker({ task: 'parse', engine: 'yjs', docFile, textFile }, TIMEOUT_SECONDS);
      if (!parse.ok) throw new Error(`yjs parse: ${parse.error}`);
      openMs.push(open.figures.openMs as number);
      parseMs.push(parse.figures.parseMs as number);
    }
    const open = median(openMs);
    const parse = median(parseMs);
    process.stdout.write(
      [
        `### Opening ${workload.name} (${workload.patches.length.toLocaleString('en')} edits, median of ${runs})`,
        '',
        '| measurement | ms |',
        '|---|---:|',
        `| converge: open the file store, restore the engine, read the text | ${open.toFixed(1)} (${(open / parse).toFixed(2)}× Yjs) |`,
        `| yjs: parse its encoded document (in memory) and read the text | ${parse.toFixed(1)} |`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
