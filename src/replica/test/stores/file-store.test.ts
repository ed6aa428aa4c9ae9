import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileStore } from '../../src/node/file-store.ts';
import { storeContract } from './store-contract.ts';

storeContract('file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'converge-store-'));
  return { open: () => new FileStore(dir), dispose: () => rm(dir, { recursive: true, force: true }) };
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
});
