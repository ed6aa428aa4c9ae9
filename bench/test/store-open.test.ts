import { mkdtempSync, readdirSync, rmSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openConvergeStore, writeConvergeStore } from '../src/store-open.ts';
import { syntheticWorkload } from '../src/synthetic.ts';

const dirs: string[] = [];
function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'converge-store-open-'));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('opening the converge engine from its file store', () => {
  const workload = syntheticWorkload('B1.7-random-insert-delete', 400, 5);
  if (workload.kind !== 'sequential') throw new Error('expected a sequential workload');

  it('restores exactly the text the trace ends with', async () => {
    const dir = tempDir();
    await writeConvergeStore(workload, dir);
    const { openMs } = await openConvergeStore(dir, workload.endContent);
    expect(openMs).toBeGreaterThan(0);
    await expect(openConvergeStore(dir, `${workload.endContent}!`)).rejects.toThrow(/differs/);
  });

  it('refuses to report a figure for a damaged store', async () => {
    const dir = tempDir();
    await writeConvergeStore(workload, dir);
    for (const name of readdirSync(dir)) truncateSync(join(dir, name), 20);
    await expect(openConvergeStore(dir, workload.endContent)).rejects.toThrow();
  });
});
