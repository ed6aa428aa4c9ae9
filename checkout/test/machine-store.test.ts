import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { jsonBytes, LocalAuthorityStore } from '../src/index.ts';
import { openDurablePersistence, openFileCheckout } from '../src/node/index.ts';
import { MemoryDisk } from './support/memory-disk.ts';
import { VirtualClock } from './support/virtual-time.ts';

let dir: string | undefined;
afterEach(async () => {
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const entry = (token: number, product: string, quantity: number) =>
  ({ token, at: 1, command: { kind: 'set-stock', product, quantity } }) as const;

describe('the authority store on disk', () => {
  it('replays what it accepted, across compactions, and nothing it refused', async () => {
    const disk = new MemoryDisk();
    const store = new LocalAuthorityStore({ ...disk.open(), compactEvery: 3 });
    for (let i = 0; i < 7; i++) await store.execute(entry(2, `p${i}`, i));
    expect(await store.execute(entry(1, 'stale', 1))).toMatchObject({ ok: false, kind: 'fenced' });
    const reopened = new LocalAuthorityStore(disk.open());
    expect(await reopened.snapshot()).toEqual(await store.snapshot());
    expect(reopened.damage).toEqual([]);
  });

  it('reports a record that no longer reads, keeps the rest, and goes on', async () => {
    const disk = new MemoryDisk();
    const opened = disk.open();
    const store = new LocalAuthorityStore(opened);
    await store.execute(entry(1, 'kiwi', 1));
    await opened.persistence.append(jsonBytes({ token: 1, at: 1, command: { kind: 'explode' } }));
    await store.execute(entry(1, 'lamp', 2));
    const reopened = new LocalAuthorityStore(disk.open());
    expect(reopened.damage).toHaveLength(1);
    expect(reopened.damage[0]).toMatch(/^authority store record 2 unreadable: invalid authority record/);
    expect((await reopened.snapshot()).products.map(([p]) => p)).toEqual(['kiwi', 'lamp']);
    expect(await reopened.execute(entry(1, 'plum', 3))).toMatchObject({ ok: true });
  });

  it('survives a torn record at the end of the log on real files', async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkout-store-'));
    const clock = new VirtualClock();
    const first = await openFileCheckout(dir, clock);
    await first.store.execute(entry(1, 'kiwi', 1));
    await first.store.execute(entry(1, 'lamp', 2));
    await first.close();
    const log = join(dir, 'authority', 'log.bin');
    const bytes = await readFile(log);
    await writeFile(log, bytes.subarray(0, bytes.length - 3)); // the last record torn by a crash
    const damages: string[] = [];
    const second = await openFileCheckout(dir, clock, (d) => damages.push(d.reason));
    expect((await second.store.snapshot()).products.map(([p]) => p)).toEqual(['kiwi']);
    expect(second.damage).toHaveLength(1);
    expect(damages[0]).toMatch(/torn|checksum/);
    expect((await readdir(join(dir, 'authority'))).some((f) => f.includes('.damaged-'))).toBe(true);
    await second.close();
    const persistence = await openDurablePersistence(join(dir, 'payment'));
    expect(persistence.restored.records).toEqual([]);
    await persistence.persistence.close();
  });
});
