// A replica killed with SIGKILL while writing, many times at random moments: after each restart from its file
// store, every edit it had acknowledged is there in every engine, every engine holds the same edits (an
// intent is one record: a kill leaves all engines with it or none), and nothing else is damaged.

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SeededRandom } from '@converge/crdt-core';
import { budget, testSeed } from '@converge/crdt-core/testing';
import { realTimers } from '@converge/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ENGINES, Replica, SimNetwork } from '../../src/index.ts';
import { FileStore } from '../../src/node/file-store.ts';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'converge-replica-crash-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const writer = join(import.meta.dirname, 'fixtures/replica-writer.ts');

/** Run the writer, SIGKILL it `killAfterMs` after it is ready; returns the acknowledged token numbers. */
function runAndKill(killAfterMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', writer, dir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      if (out.startsWith('ready\n') && !child.killed) setTimeout(() => child.kill('SIGKILL'), killAfterMs);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString();
    });
    child.on('error', reject);
    child.on('exit', (_code, signal) => {
      if (signal !== 'SIGKILL') return reject(new Error(`writer exited without being killed: ${err}`));
      resolve([...out.matchAll(/ack (\d+)\n/g)].map((m) => Number(m[1])));
    });
  });
}

async function reopen(): Promise<Replica> {
  return Replica.open({
    id: 'writer',
    transport: new SimNetwork({ timers: realTimers, seed: 1 }).transport('writer'),
    store: new FileStore(dir),
    engines: ENGINES,
    antiEntropyMs: 0,
  });
}

describe('a replica under SIGKILL', () => {
  it('keeps every acknowledged edit in every engine across repeated kills', async () => {
    const seed = testSeed();
    const random = new SeededRandom(seed);
    const acked = new Set<number>();
    for (let round = 0; round < budget(3, 25); round++) {
      for (const n of await runAndKill(random.int(100, 900))) acked.add(n);
      const replica = await reopen();
      try {
        const texts = Object.fromEntries(ENGINES.names.map((e) => [e, replica.view(e).text]));
        const first = Object.values(texts)[0];
        expect(
          Object.values(texts).every((text) => text === first),
          `seed ${seed} round ${round}: the engines hold different edits (ends: ${JSON.stringify(
            Object.fromEntries(Object.entries(texts).map(([engine, text]) => [engine, text.slice(-60)])),
          )})`,
        ).toBe(true);
        for (const engine of ENGINES.names) {
          const text = replica.view(engine).text;
          const where = `seed ${seed} round ${round} engine ${engine}: ${text.slice(-80)}`;
          // Nothing damaged: the text is made of whole tokens, in the order they were written.
          expect(text, where).toMatch(/^(\[\d+\])*$/);
          const tokens = [...text.matchAll(/\[(\d+)\]/g)].map((m) => Number(m[1]));
          expect(tokens, where).toEqual([...tokens].sort((a, b) => a - b));
          // Nothing acknowledged lost.
          const held = new Set(tokens);
          const missing = [...acked].filter((n) => !held.has(n));
          expect(missing, where).toEqual([]);
        }
        expect(replica.problems().filter((p) => p.kind !== 'load-damage')).toEqual([]);
      } finally {
        await replica.close();
      }
    }
    expect(
      acked.size,
      `seed ${seed}: the writer must get edits acknowledged before being killed`,
    ).toBeGreaterThan(20);
  }, 180_000);
});
