// The benchmark command: `npm run bench -- --help`.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseOptions, USAGE, UsageError } from './args.ts';
import { svgChart } from './chart.ts';
import { jsonRows, markdownReport } from './report.ts';
import { runAll } from './runner.ts';
import { defaultTracesDir } from './traces.ts';
import { describeSource, selectWorkloads } from './workloads.ts';

const REPO_ROOT = resolve(import.meta.dirname, '../..');

async function main(argv: readonly string[]): Promise<number> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(argv, defaultTracesDir(REPO_ROOT), process.env.INIT_CWD ?? process.cwd());
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    return 2;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  let workloads: ReturnType<typeof selectWorkloads>;
  try {
    workloads = selectWorkloads(options);
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n`);
    return 2;
  }
  if (workloads.length === 0) {
    process.stderr.write('nothing to run: no traces found and no synthetic workloads selected\n');
    return 2;
  }
  const tty = process.stderr.isTTY === true;
  const progress = (message: string): void => {
    process.stderr.write(tty ? `\r\x1b[K${message}` : `${message}\n`);
  };
  const started = performance.now();
  const results = await runAll(
    { workloads, engines: options.engines, runs: options.runs, timeoutSeconds: options.timeoutSeconds },
    progress,
  );
  if (tty) process.stderr.write('\r\x1b[K');
  process.stderr.write(`done in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);

  const byName = new Map(workloads.map((w) => [w.name, w]));
  const describe = (name: string): string => {
    const source = byName.get(name);
    return source === undefined ? '' : describeSource(source, REPO_ROOT);
  };
  const json = `${JSON.stringify(jsonRows(results), null, 2)}\n`;
  const markdown = markdownReport(results, describe);
  process.stdout.write(options.json ? json : `${markdown}\n`);
  if (options.out !== null) {
    mkdirSync(options.out, { recursive: true });
    writeFileSync(join(options.out, 'results.json'), json);
    writeFileSync(join(options.out, 'results.md'), `${markdown}\n`);
    writeFileSync(join(options.out, 'chart.svg'), svgChart(results));
    process.stderr.write(`wrote results.json, results.md and chart.svg to ${options.out}\n`);
  }
  return results.every((r) => r.ok) ? 0 : 1;
}

process.exitCode = await main(process.argv.slice(2));
