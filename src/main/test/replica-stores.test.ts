import { mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ReplicaStores } from '../replica-stores.ts';

const bytes = (...values: number[]) => Uint8Array.from(values);
const text = (s: string) => new TextEncoder().encode(s);

describe('ReplicaStores', () => {
  let dir: string;
  let stores: ReplicaStores;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-stores-'));
    stores = new ReplicaStores({ root: join(dir, 'replicas') });
  });
  afterEach(async () => {
    await stores.closeAll();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps each replica in its own folder, isolated from the others', async () => {
    expect(await stores.open('alpha')).toEqual({ records: [], damage: [] });
    expect(await stores.open('beta')).toEqual({ records: [], damage: [] });
    await stores.append('alpha', text('a1'));
    await stores.append('beta', text('b1'));
    await stores.append('alpha', text('a2'));
    expect((await stores.open('alpha')).records).toEqual([text('a1'), text('a2')]);
    expect((await stores.open('beta')).records).toEqual([text('b1')]);
    expect(await stores.list()).toEqual(['alpha', 'beta']);
    expect((await stat(join(dir, 'replicas', 'alpha', 'log.bin'))).isFile()).toBe(true);
  });

  it('survives closing and reopening with a new instance (app restart)', async () => {
    await stores.open('alpha');
    await Promise.all([stores.append('alpha', bytes(1)), stores.append('alpha', bytes(2))]);
    await stores.compact('alpha', bytes(9, 9));
    await stores.append('alpha', bytes(3));
    await stores.closeAll();
    const again = new ReplicaStores({ root: join(dir, 'replicas') });
    expect(await again.open('alpha')).toEqual({ snapshot: bytes(9, 9), records: [bytes(3)], damage: [] });
    await again.closeAll();
  });

  it('opens lazily: an append before open creates the log', async () => {
    await stores.append('gamma', bytes(7));
    expect((await stores.open('gamma')).records).toEqual([bytes(7)]);
  });

  it('reopening (a window reload) sees every append made before it, in order', async () => {
    await stores.open('alpha');
    const appends = Array.from({ length: 50 }, (_, i) => stores.append('alpha', bytes(i)));
    const reopened = stores.open('alpha');
    await Promise.all(appends);
    expect((await reopened).records).toEqual(Array.from({ length: 50 }, (_, i) => bytes(i)));
    // And the log still takes appends after the reopen.
    await stores.append('alpha', bytes(200));
    expect((await stores.open('alpha')).records).toHaveLength(51);
  });

  it('rejects ids that would escape the folder, without touching the disk', async () => {
    for (const bad of ['..', '../evil', 'a/b', '/etc', 'a\\b', '', 'UPPER', '.hidden', 'x'.repeat(65)]) {
      await expect(stores.open(bad), bad).rejects.toThrow(/invalid replica id/);
      await expect(stores.append(bad, bytes(1)), bad).rejects.toThrow(/invalid replica id/);
      await expect(stores.compact(bad, bytes(1)), bad).rejects.toThrow(/invalid replica id/);
    }
    expect(await readdir(dir)).toEqual([]);
  });

  it('reports a torn tail as damage, keeps the intact records and the evidence', async () => {
    await stores.open('alpha');
    await stores.append('alpha', text('one'));
    await stores.append('alpha', text('two'));
    await stores.closeAll();
    const logPath = join(dir, 'replicas', 'alpha', 'log.bin');
    const data = await readFile(logPath);
    await writeFile(logPath, data.subarray(0, data.length - 2));
    const damaged: string[] = [];
    const again = new ReplicaStores({
      root: join(dir, 'replicas'),
      onDamage: (id, d) => damaged.push(`${id}: ${d.reason}`),
    });
    const loaded = await again.open('alpha');
    expect(loaded.records).toEqual([text('one')]);
    expect(loaded.damage).toEqual([
      expect.stringMatching(
        /torn or corrupt record length .*in .*log\.bin at byte \d+ \(damaged file kept as .*damaged-/,
      ),
    ]);
    expect(damaged).toEqual([expect.stringMatching(/^alpha: torn or corrupt record length/)]);
    // Still writable after the repair.
    await again.append('alpha', text('three'));
    expect((await again.open('alpha')).records).toEqual([text('one'), text('three')]);
    await again.closeAll();
  });

  it('closes one replica without losing pending writes, and refuses work after closeAll', async () => {
    await stores.open('alpha');
    const pending = stores.append('alpha', bytes(5));
    await stores.close('alpha');
    await pending;
    expect((await stores.open('alpha')).records).toEqual([bytes(5)]);
    await stores.close('never-opened');
    await stores.closeAll();
    await expect(stores.append('alpha', bytes(6))).rejects.toThrow(/closed/);
  });

  it('lists only replica folders with safe names', async () => {
    expect(await stores.list()).toEqual([]);
    await stores.open('b');
    await stores.open('a');
    await writeFile(join(dir, 'replicas', 'stray-file'), '');
    await mkdir(join(dir, 'replicas', 'Not Safe'));
    expect(await stores.list()).toEqual(['a', 'b']);
  });
});
