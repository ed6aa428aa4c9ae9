// `npm run bench:lifecycle`: issue 26's soaks, each in a fresh process with forced collections
// (see lifecycle.ts): replica open/edit/sync/close cycles, per engine and with every engine, and the
// relay loading and unloading rooms with storage peers. Prints Markdown; exits 1 if any soak's
// memory after the last cycle is more than 10% above its value after the warm-up.
import { parseArgs } from 'node:util';
import { ENGINES, type EngineName } from '@converge/replica';
import {
  SOAK_NODE_FLAGS,
  type SoakRow,
  sampleTable,
  soakFromFigures,
  soakTable,
  verdict,
} from './lifecycle-report.ts';
import { runWorker } from './runner.ts';
import type { SoakPlan } from './worker-protocol.ts';

const USAGE = `npm run bench:lifecycle -- [--cycles N] [--rooms N] [--warmup N] [--only replica|relay]
  --cycles N   replica open/edit/sync/close cycles per process (default 2000)
  --rooms N    rooms the relay loads and unloads (default 1000)
  --warmup N   cycles (rooms) before the reference sample (default 100)
  --only X     run only the replica soaks or only the relay soak`;
const TIMEOUT_SECONDS = 3600;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      cycles: { type: 'string' },
      rooms: { type: 'string' },
      warmup: { type: 'string' },
      only: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const cycles = Number(values.cycles ?? 2000);
  const rooms = Number(values.rooms ?? 1000);
  const warmup = Number(values.warmup ?? 100);
  const only = values.only;
  const valid = [cycles, rooms, warmup].every((n) => Number.isInteger(n) && n > 0);
  if (
    !valid ||
    warmup >= cycles ||
    warmup >= rooms ||
    (only !== undefined && only !== 'replica' && only !== 'relay')
  ) {
    process.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const engines = ENGINES.names;
  const sampleEvery = Math.max(1, Math.round((cycles - warmup) / 4));
  let ok = true;
  const out: string[] = [];

  if (only !== 'relay') {
    const rows: SoakRow[] = [];
    const sets: (readonly EngineName[])[] = [...engines.map((e) => [e]), engines];
    for (const set of sets) {
      const label = set.length === 1 ? `${set[0]}` : `all (${set.join(', ')})`;
      process.stderr.write(`replica soak: ${label}, ${cycles} cycles…\n`);
      const plan: SoakPlan = { engines: set, count: cycles, warmup, sampleEvery };
      const reply = await runWorker({ task: 'replica-soak', ...plan }, TIMEOUT_SECONDS, SOAK_NODE_FLAGS);
      if (!reply.ok) throw new Error(`replica soak ${label}: ${reply.error}`);
      const result = soakFromFigures(reply.figures);
      ok &&= verdict(result, warmup).ok;
      rows.push({ label, result, warmup });
    }
    out.push(
      `### Replica open/edit/sync/close cycles (${cycles.toLocaleString('en')} per process)`,
      '',
      soakTable('engines', rows),
      '',
    );
  }

  if (only !== 'replica') {
    process.stderr.write(`relay soak: ${rooms} rooms…\n`);
    const relayEvery = Math.max(1, Math.round((rooms - warmup) / 4));
    const plan: SoakPlan = { engines, count: rooms, warmup, sampleEvery: relayEvery };
    const reply = await runWorker({ task: 'relay-soak', ...plan }, TIMEOUT_SECONDS, SOAK_NODE_FLAGS);
    if (!reply.ok) throw new Error(`relay soak: ${reply.error}`);
    const result = soakFromFigures(reply.figures);
    ok &&= verdict(result, warmup).ok;
    out.push(
      `### Relay: ${rooms.toLocaleString('en')} rooms loaded (a window edits, the storage peer stores) and unloaded`,
      '',
      soakTable('rooms', [{ label: 'relay with storage peers', result, warmup }]),
      '',
      sampleTable('rooms', result),
      '',
    );
  }
  process.stdout.write(`${out.join('\n')}\n`);
  return ok ? 0 : 1;
}

process.exitCode = await main();
