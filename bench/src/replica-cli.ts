// `npm run bench:replica`: the replica runtime replaying a trace through every engine (replica-replay.ts).
import { parseArgs } from 'node:util';
import {
  keystrokeBytesTable,
  measureKeystrokeBytes,
  measureOverhead,
  overheadTable,
  replayThroughReplica,
  replicaReplayTable,
} from './replica-replay.ts';
import { sequentialTraceRequest } from './traces.ts';

const USAGE = `usage: npm run bench:replica -- [--trace FILE] [--edits N] [--json]
  --trace FILE   sequential trace (default: automerge-paper.json.gz in ../shared/traces)
  --edits N      replay only the first N patches (default: all of them)
  --json         one JSON object instead of the table
  -h, --help     this text`;

async function main(): Promise<number> {
  let values: { trace?: string; edits?: string; json?: boolean; help?: boolean };
  try {
    ({ values } = parseArgs({
      strict: true,
      allowPositionals: false,
      options: {
        trace: { type: 'string' },
        edits: { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const request = sequentialTraceRequest(values.trace, { flag: '--edits', value: values.edits });
  if (!request.ok) {
    process.stderr.write(request.showUsage ? `${request.message}\n\n${USAGE}\n` : `${request.message}\n`);
    return 2;
  }
  const { workload, count: edits } = request;
  const total = Math.min(edits ?? workload.patches.length, workload.patches.length);
  const result = await replayThroughReplica(workload, total, (done) =>
    process.stderr.write(
      `${workload.name}: ${done.toLocaleString('en-US')} / ${total.toLocaleString('en-US')} edits\n`,
    ),
  );
  const overhead = await measureOverhead(workload, total);
  const bytes = await measureKeystrokeBytes();
  process.stdout.write(
    values.json === true
      ? `${JSON.stringify({ replay: result, overhead, keystrokeBytes: bytes })}\n`
      : `${replicaReplayTable(result)}\n\n${overheadTable(overhead)}\n\n${keystrokeBytesTable(bytes)}\n`,
  );
  return result.textsMatch && result.digestsAgree ? 0 : 1;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exitCode = 1;
  },
);
