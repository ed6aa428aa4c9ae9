// `npm run bench:reopen`: a window's replica reopening a large document from its file store, every
// engine hosted (issue 19: "a window reopening an existing 1 MB document shows it ≤ 500 ms after start").
// Each run is a fresh process: `Replica.open` eager (every engine loaded before it resolves) against a
// progressive open (it resolves once the primary engine has loaded; the others load after), with the time
// until the primary's text is read and until every engine has loaded.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { realTimers } from '@converge/protocol';
import { ENGINES, Replica, SimNetwork } from '@converge/replica';
import { FileStore } from '@converge/replica/node';
import { readCommandLine, runCommand, stringOption, traceRunsOrExit } from './command-line.ts';
import { median } from './result.ts';

const USAGE = `usage: npm run bench:reopen -- [--trace FILE] [--size N] [--keys N] [--runs N]
  --trace FILE   the document is this sequential trace's final text, repeated (default: automerge-paper)
  --size N       characters of the document (default 1000000)
  --keys N       keystrokes typed after it, left in the log as a reopened window finds them (default 200)
  --runs N       fresh-process reopens per mode; figures are medians (default 5)
  -h, --help     this text`;

const REPLICA = 'bench-reopen';

/** The window's replica on the file store in `dir`, alone on its network (no peer to wait for). */
async function openStore(dir: string, progressive: boolean): Promise<{ store: FileStore; replica: Replica }> {
  const store = new FileStore(dir);
  const replica = await Replica.open({
    id: REPLICA,
    transport: new SimNetwork({ timers: realTimers, seed: 1 }).transport(REPLICA),
    store,
    engines: ENGINES,
    antiEntropyMs: 0,
    progressive,
  });
  return { store, replica };
}

/** The store a window leaves behind: the document pasted, compacted, then `keys` keystrokes logged. */
async function writeStore(dir: string, text: string, keys: number): Promise<void> {
  const { store, replica } = await openStore(dir, false);
  await replica.apply({ op: 'text.insert', pos: 0, text });
  await new Promise((resolve) => setTimeout(resolve, 50)); // the compaction it made due
  for (let k = 0; k < keys; k++)
    await replica.apply({ op: 'text.insert', pos: replica.textLength(replica.primary), text: 'x' });
  await replica.close();
  await store.close();
}

interface ReopenFigures {
  readonly shownMs: number;
  readonly loadedMs: number;
  readonly length: number;
}

/** In the child: open the store, read the primary's text, wait for every engine. */
async function reopen(dir: string, progressive: boolean): Promise<ReopenFigures> {
  const start = performance.now();
  const { store, replica } = await openStore(dir, progressive);
  const length = replica.textSlice(replica.primary).length;
  const shownMs = performance.now() - start;
  await replica.loaded;
  const loadedMs = performance.now() - start;
  const lengths = new Set(replica.engineNames.map((name) => replica.textLength(name)));
  if (lengths.size !== 1) throw new Error(`engines hold texts of lengths ${[...lengths].join(', ')}`);
  await replica.close();
  await store.close();
  return { shownMs, loadedMs, length };
}

const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;

function child(dir: string, progressive: boolean): Promise<ReopenFigures> {
  return new Promise((resolve, reject) => {
    const args = [
      '--import',
      TSX,
      import.meta.filename,
      '--child',
      dir,
      progressive ? 'progressive' : 'eager',
    ];
    const proc = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    proc.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      out += chunk;
    });
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code === 0) resolve(JSON.parse(out) as ReopenFigures);
      else reject(new Error(`reopen exited with ${code}`));
    });
  });
}

async function main(): Promise<number> {
  if (process.argv[2] === '--child') {
    const [, , , dir, mode] = process.argv;
    if (dir === undefined) throw new Error('--child needs a store folder');
    process.stdout.write(JSON.stringify(await reopen(dir, mode === 'progressive')));
    return 0;
  }
  const values = readCommandLine(USAGE, {
    trace: { type: 'string' },
    size: { type: 'string' },
    keys: { type: 'string' },
    runs: { type: 'string' },
  });
  if (typeof values === 'number') return values;
  const request = traceRunsOrExit(values, USAGE);
  if (typeof request === 'number') return request;
  const size = Number(stringOption(values, 'size') ?? 1_000_000);
  const keys = Number(stringOption(values, 'keys') ?? 200);
  if (!(Number.isInteger(size) && size > 0 && Number.isInteger(keys) && keys >= 0)) {
    process.stderr.write(`--size needs a positive and --keys a non-negative integer\n\n${USAGE}\n`);
    return 2;
  }
  const runs = request.count ?? 5;
  const base = request.workload.endContent;
  const text = base.repeat(Math.ceil(size / base.length)).slice(0, size);
  const dir = mkdtempSync(join(tmpdir(), 'converge-bench-reopen-'));
  const load = (): string => loadavg()[0]?.toFixed(1) ?? '?';
  try {
    process.stderr.write(`writing a ${size.toLocaleString('en')}-character store (load ${load()})…\n`);
    await writeStore(dir, text, keys);
    const eager: ReopenFigures[] = [];
    const progressive: ReopenFigures[] = [];
    const loads: string[] = [load()];
    for (let run = 1; run <= runs; run++) {
      process.stderr.write(`run ${run}/${runs} (load ${load()})\n`);
      eager.push(await child(dir, false));
      progressive.push(await child(dir, true));
      loads.push(load());
    }
    for (const figures of [...eager, ...progressive])
      if (figures.length !== size + keys) throw new Error(`reopened ${figures.length} characters`);
    const ms = (list: readonly ReopenFigures[], key: 'shownMs' | 'loadedMs') =>
      median(list.map((f) => f[key])).toFixed(0);
    process.stdout.write(
      [
        `### Reopening ${size.toLocaleString('en')} characters + ${keys} logged keystrokes, every engine (median of ${runs}; load average ${loads.join(', ')})`,
        '',
        '| open | primary text read (ms) | every engine loaded (ms) |',
        '|---|---:|---:|',
        `| eager (every engine first) | ${ms(eager, 'shownMs')} | ${ms(eager, 'loadedMs')} |`,
        `| progressive (primary first) | ${ms(progressive, 'shownMs')} | ${ms(progressive, 'loadedMs')} |`,
        '',
      ].join('\n'),
    );
    return 0;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

runCommand(main);
