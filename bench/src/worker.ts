// One measurement in a fresh process (spawned by runner.ts as `node --expose-gc --import tsx worker.ts`).
// Reads a task as JSON from argv[2]; prints one line `RESULT <json>` on stdout.
import { readFileSync, writeFileSync } from 'node:fs';
import { loadEngine } from './engines/index.ts';
import { measureParse, measureReplay, NotApplicable } from './measure.ts';
import { RESULT_PREFIX, type WorkerReply, type WorkerTask } from './worker-protocol.ts';
import { loadWorkload } from './workloads.ts';

async function run(task: WorkerTask): Promise<WorkerReply> {
  if (task.task === 'open-store') {
    // Loaded only here: the replica runtime brings every engine (Automerge's WASM included), which
    // a replay or parse measurement must not carry in its heap.
    const { openConvergeStore } = await import('./store-open.ts');
    const figures = await openConvergeStore(task.storeDir, readFileSync(task.textFile, 'utf8'));
    return { ok: true, figures: { ...figures } };
  }
  if (task.task === 'replica-soak' || task.task === 'relay-soak') {
    // Loaded only here, like the store: a soak carries the replica runtime (and the relay).
    const { runSoak } = await import('./lifecycle.ts');
    return { ok: true, figures: await runSoak(task) };
  }
  const engine = await loadEngine(task.engine);
  if (task.task === 'replay') {
    const workload = loadWorkload(task.workload);
    const outcome = measureReplay(engine, workload);
    writeFileSync(task.docFile, outcome.doc);
    writeFileSync(task.textFile, outcome.text, 'utf8');
    return { ok: true, figures: { ...outcome.figures } };
  }
  const bytes = new Uint8Array(readFileSync(task.docFile));
  const expected = readFileSync(task.textFile, 'utf8');
  return { ok: true, figures: { ...measureParse(engine, bytes, expected) } };
}

async function main(): Promise<void> {
  let reply: WorkerReply;
  try {
    reply = await run(JSON.parse(process.argv[2] ?? '') as WorkerTask);
  } catch (error) {
    const message = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
    reply = { ok: false, error: message, ...(error instanceof NotApplicable ? { skipped: true } : {}) };
  }
  process.stdout.write(`${RESULT_PREFIX}${JSON.stringify(reply)}\n`);
}

await main();
