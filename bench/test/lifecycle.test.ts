// Issue 26's soaks (lifecycle.ts), each in a fresh process with forced collections. The default
// budget checks that the soaks run (every cycle converges and every room unloads); the long budget
// (`npm run test:long`) runs them at full size and holds memory to within 10% of the warm-up's.
import { longBudget } from '@converge/crdt-core/testing';
import { type EngineName, ENGINES as REGISTRY } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import {
  ALLOWED_GROWTH,
  SOAK_NODE_FLAGS,
  type SoakResult,
  soakFromFigures,
  verdict,
} from '../src/lifecycle-report.ts';
import { runWorker } from '../src/runner.ts';
import type { SoakPlan } from '../src/worker-protocol.ts';

const ENGINES = REGISTRY.names;

async function soak(task: 'replica-soak' | 'relay-soak', plan: SoakPlan): Promise<SoakResult> {
  const reply = await runWorker({ task, ...plan }, 3000, SOAK_NODE_FLAGS);
  if (!reply.ok) throw new Error(`${task} of ${plan.engines.join(', ')}: ${reply.error}`);
  return soakFromFigures(reply.figures);
}

describe('lifecycle soaks (quick)', () => {
  it('cycles a replica with every engine and samples its memory after the warm-up and the last cycle', async () => {
    const result = await soak('replica-soak', { engines: ENGINES, count: 12, warmup: 10, sampleEvery: 1 });
    expect(result.samples.map((s) => s.after)).toEqual([10, 11, 12]);
    for (const sample of result.samples) expect(sample.rss).toBeGreaterThan(sample.heapUsed);
    expect(verdict(result, 10).last.after).toBe(12);
  }, 120_000);

  it('loads and unloads relay rooms with storage peers', async () => {
    const result = await soak('relay-soak', { engines: ENGINES, count: 4, warmup: 2, sampleEvery: 1 });
    expect(result.samples.map((s) => s.after)).toEqual([0, 2, 3, 4]);
  }, 120_000);
});

describe.skipIf(!longBudget)('lifecycle soaks (long budget)', () => {
  const sets: (readonly EngineName[])[] = [...ENGINES.map((e) => [e]), ENGINES];
  it.each(sets.map((set) => [set.join('+'), set] as const))(
    '2,000 open/edit/sync/close cycles of a replica with %s keep RSS and external memory within 10%',
    async (_label, engines) => {
      const result = await soak('replica-soak', { engines, count: 2000, warmup: 100, sampleEvery: 475 });
      const v = verdict(result, 100);
      expect(v.rssRatio).toBeLessThanOrEqual(ALLOWED_GROWTH);
      expect(v.externalRatio).toBeLessThanOrEqual(ALLOWED_GROWTH);
    },
    900_000,
  );

  it('the relay loads and unloads 1,000 rooms with storage peers and its memory comes back within 10%', async () => {
    const result = await soak('relay-soak', { engines: ENGINES, count: 1000, warmup: 100, sampleEvery: 225 });
    const v = verdict(result, 100);
    expect(v.rssRatio).toBeLessThanOrEqual(ALLOWED_GROWTH);
    expect(v.externalRatio).toBeLessThanOrEqual(ALLOWED_GROWTH);
  }, 900_000);
});
