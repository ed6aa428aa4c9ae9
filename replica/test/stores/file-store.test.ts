import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/node/file-store.ts';
import { storeContract } from './store-contract.ts';

storeContract('file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'converge-store-'));
  return {
    open: () => new FileStore(dir),
    dispose: () => rm(dir, { recursive: true, force: true }),
    damageSnapshot: async () => {
      const path = join(dir, 'snapshot.bin');
      const bytes = await readFile(path);
      bytes[bytes.length - 2] = (bytes[bytes.length - 2] as number) ^ 0x40;
      await writeFile(path, bytes);
    },
  };
});

describe('file store damage', () => {
  it('reports a damaged record tail as damage and keeps the intact updates', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'converge-store-'));
    try {
      const store = new FileStore(dir);
      await store.load();
      await store.append({ kind: 'update', engine: 'yjs', update: Uint8Array.of(1) });
      await store.append({ kind: 'update', engine: 'yjs', update: Uint8Array.of(2) });
      await store.close();
      const log = await readFile(join(dir, 'log.bin'));
      await writeFile(join(dir, 'log.bin'), log.subarray(0, log.length - 1));
      const loaded = await new FileStore(dir).load();
      expect(loaded.updates).toEqual([{ engine: 'yjs', update: Uint8Array.of(1) }]);
      expect(loaded.damage.join('\n')).toMatch(/torn|corrupt/);
      expect(loaded.damage.join('\n')).toMatch(/damaged file kept as/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('keeps every intact intent after bytes flipped in the middle of the log (a relay lost half to four)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'converge-store-'));
    try {
      const store = new FileStore(dir);
      await store.load();
      const intents = 1000;
      for (let i = 0; i < intents; i++) {
        await store.append({
          kind: 'intent',
          updates: [
            { engine: 'converge', update: Uint8Array.of(i & 0xff, i >> 8) },
            { engine: 'yjs', update: Uint8Array.of(i & 0xff, i >> 8, 1) },
          ],
        });
      }
      await store.close();
      const path = join(dir, 'log.bin');
      const log = await readFile(path);
      for (const at of [0.2, 0.4, 0.6, 0.8]) {
        const i = Math.floor(log.length * at);
        log[i] = (log[i] as number) ^ 0x08;
      }
      await writeFile(path, log);
      const loaded = await new FileStore(dir).load();
      // Each flipped byte costs the one intent it hit, in every engine alike; the damage is reported.
      const numbers = (engine: string) =>
        loaded.updates.filter((u) => u.engine === engine).map((u) => u.update[0]! + (u.update[1]! << 8));
      expect(numbers('converge').length).toBeGreaterThanOrEqual(intents - 4);
      expect(numbers('yjs')).toEqual(numbers('converge'));
      expect(loaded.damage).toHaveLength(4);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
