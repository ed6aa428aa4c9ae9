// `npm run bench:replica`: the replica runtime replaying a trace through every engine (replica-replay.ts).
import { execFileSync } from 'node:child_process';
import { readCommandLine, runCommand, stringOption } from './command-line.ts';
import {
  keystrokeBytesTable,
  measureKeystrokeBytes,
  replayThroughReplica,
  replicaReplayTable,
} from './replica-replay.ts';
import {
  figures,
  type IntentPath,
  intentsOf,
  measureOverhead,
  type OverheadFigures,
  type OverheadSide,
  overheadTable,
  pass,
} from './runtime-overhead.ts';
import { sequentialTraceRequest } from './traces.ts';

const USAGE = `usage: npm run bench:replica -- [--trace FILE] [--edits N] [--rounds N] [--cold N] [--intents typed|parsed] [--overhead-only] [--json]
  --trace FILE   sequential trace (default: automerge-paper.json.gz in ../shared/traces)
  --edits N      replay only the first N patches (default: all of them)
  --rounds N     warm overhead: rounds of a bare pass and a replica pass in this process, the first
                 dropped (default 6)
  --cold N       cold overhead: N fresh processes per side, alternating (default 3; 0: none)
  --intents P    how the overhead's passes get their intents: typed (default: made by trusted code through
                 the schema's typed text intents, no zod, on both sides) or parsed (plain intents each
                 side validates with zod, as measured before issue 19's sixth pass)
  --overhead-only  only the runtime overhead (no replay through every engine, no bytes per keystroke)
  --json         one JSON object instead of the table
  -h, --help     this text`;

async function main(): Promise<number> {
  const values = readCommandLine(USAGE, {
    trace: { type: 'string' },
    edits: { type: 'string' },
    rounds: { type: 'string' },
    cold: { type: 'string' },
    intents: { type: 'string' },
    // Internal: one cold pass of one side in this (fresh) process, its CPU ms printed.
    pass: { type: 'string' },
    'overhead-only': { type: 'boolean' },
    json: { type: 'boolean' },
  });
  if (typeof values === 'number') return values;
  const option = (name: string) => stringOption(values, name);
  const request = sequentialTraceRequest(option('trace'), { flag: '--edits', value: option('edits') });
  const rounds = Number(option('rounds') ?? 6);
  const cold = Number(option('cold') ?? 3);
  const side = option('pass');
  const path = option('intents') ?? 'typed';
  const problem = !request.ok
    ? request.message
    : !(Number.isInteger(rounds) && rounds >= 2)
      ? `--rounds needs an integer ≥ 2, got ${values.rounds}`
      : !(Number.isInteger(cold) && cold >= 0)
        ? `--cold needs a non-negative integer, got ${values.cold}`
        : side !== undefined && side !== 'bare' && side !== 'replica'
          ? `--pass is bare or replica, got ${side}`
          : path !== 'typed' && path !== 'parsed'
            ? `--intents is typed or parsed, got ${path}`
            : undefined;
  if (!request.ok || problem !== undefined) {
    const showUsage = request.ok || request.showUsage;
    process.stderr.write(showUsage ? `${problem}\n\n${USAGE}\n` : `${problem}\n`);
    return 2;
  }
  const { file, workload, count: edits } = request;
  const total = Math.min(edits ?? workload.patches.length, workload.patches.length);
  if (side !== undefined) {
    process.stdout.write(
      `${JSON.stringify({ ms: await pass(side as OverheadSide, intentsOf(workload, total), path as IntentPath) })}\n`,
    );
    return 0;
  }
  if (values['overhead-only'] === true) {
    const coldFigures = cold > 0 ? coldOverhead(file, total, cold, path as IntentPath) : undefined;
    const overhead = await measureOverhead(workload, total, rounds, coldFigures, path as IntentPath);
    process.stdout.write(
      values.json === true ? `${JSON.stringify({ overhead })}\n` : `${overheadTable(overhead)}\n`,
    );
    return 0;
  }
  const result = await replayThroughReplica(workload, total, (done) =>
    process.stderr.write(
      `${workload.name}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} edits\n`,
    ),
  );
  const coldFigures = cold > 0 ? coldOverhead(file, total, cold, path as IntentPath) : undefined;
  const overhead = await measureOverhead(workload, total, rounds, coldFigures, path as IntentPath);
  const bytes = await measureKeystrokeBytes();
  process.stdout.write(
    values.json === true
      ? `${JSON.stringify({ replay: result, overhead, keystrokeBytes: bytes })}\n`
      : `${replicaReplayTable(result)}\n\n${overheadTable(overhead)}\n\n${keystrokeBytesTable(bytes)}\n`,
  );
  return result.textsMatch && result.digestsAgree ? 0 : 1;
}

/** Cold passes: each side's first pass in a fresh process of its own, the sides alternating. */
function coldOverhead(file: string, edits: number, processes: number, path: IntentPath): OverheadFigures {
  const run = (side: OverheadSide): number => {
    const args = [
      ...process.execArgv,
      process.argv[1] as string,
      ...['--pass', side, '--trace', file, '--intents', path],
    ];
    const out = execFileSync(process.execPath, [...args, '--edits', String(edits)], { encoding: 'utf8' });
    return (JSON.parse(out) as { ms: number }).ms;
  };
  const pairs: [number, number][] = [];
  for (let i = 0; i < processes; i++) {
    if (i % 2 === 0) pairs.push([run('bare'), run('replica')]);
    else {
      const replica = run('replica');
      pairs.push([run('bare'), replica]);
    }
  }
  return figures(pairs);
}

runCommand(main);
