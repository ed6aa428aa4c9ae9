/**
 * Data written by earlier versions still opens: a whole file store of every engine, and the converge
 * engine's snapshot, unsealed state and stored updates (test/fixtures/format-v1, written by commit bebf23d).
 */

import { cp, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realTimers } from '@converge/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { ENGINES, type Engine, Replica, SimNetwork } from '../src/index.ts';
import { FileStore } from '../src/node/file-store.ts';

const fixtures = join(import.meta.dirname, 'fixtures/format-v1');
const opened: Engine[] = [];
afterEach(() => {
  for (const engine of opened.splice(0)) engine.close();
});

async function json(name: string): Promise<unknown> {
  return JSON.parse(await readFile(join(fixtures, name), 'utf8'));
}

function converge(): Engine {
  const engine = ENGINES.create('converge', { replicaId: 'reader', now: () => 0 });
  opened.push(engine);
  return engine;
}

/** The updates file: u32 LE count, then each update as u32 LE length and bytes. */
async function storedUpdates(): Promise<Uint8Array[]> {
  const bytes = await readFile(join(fixtures, 'converge-updates.bin'));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const count = view.getUint32(0, true);
  const updates: Uint8Array[] = [];
  let at = 4;
  for (let i = 0; i < count; i++) {
    const length = view.getUint32(at, true);
    updates.push(new Uint8Array(bytes.subarray(at + 4, at + 4 + length)));
    at += 4 + length;
  }
  expect(at).toBe(bytes.length);
  return updates;
}

describe('data stored by earlier versions', () => {
  it('opens a whole file store with every engine showing what it showed', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'converge-format-v1-'));
    try {
      await cp(join(fixtures, 'store'), dir, { recursive: true });
      const replica = await Replica.open({
        id: 'fixture',
        transport: new SimNetwork({ timers: realTimers, seed: 1 }).transport('fixture'),
        store: new FileStore(dir),
        engines: ENGINES,
        antiEntropyMs: 0,
      });
      try {
        expect(replica.problems()).toEqual([]);
        const expected = (await json('store-views.json')) as Record<string, unknown>;
        expect(Object.keys(expected).length).toBeGreaterThanOrEqual(4);
        for (const [engine, view] of Object.entries(expected))
          expect(replica.view(engine as never)).toEqual(view);
      } finally {
        await replica.close();
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("opens the converge engine's snapshot, its unsealed state and its stored updates", async () => {
    const view = await json('converge-view.json');
    const fromSnapshot = converge();
    fromSnapshot.applyUpdate(new Uint8Array(await readFile(join(fixtures, 'converge-snapshot.bin'))));
    expect(fromSnapshot.view()).toEqual(view);
    const fromState = converge();
    fromState.applyUpdate(new Uint8Array(await readFile(join(fixtures, 'converge-state-unsealed.bin'))));
    expect(fromState.view()).toEqual(view);
    const fromUpdates = converge();
    for (const update of await storedUpdates()) fromUpdates.applyUpdate(update);
    expect(fromUpdates.view()).toEqual(view);
    expect(fromUpdates.version()).toEqual(fromSnapshot.version());
    // Updates on top of the snapshot they are part of change nothing.
    for (const update of await storedUpdates()) fromSnapshot.applyUpdate(update);
    expect(fromSnapshot.view()).toEqual(view);
  });
});
