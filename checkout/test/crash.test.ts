/**
 * SIGKILL in the middle of a saga: the authority runs in a child process on real files; it is killed
 * while a charge is on its way, started again on the same directory, and must finish the order — charged
 * once, shipped once, the stock sold once — from what the durable logs hold.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';

const script = join(import.meta.dirname, 'fixtures', 'authority-process.ts');
const tsx = join(import.meta.dirname, '..', '..', 'node_modules', '.bin', 'tsx');

let dir: string | undefined;
const children: ChildProcess[] = [];
afterEach(async () => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  children.length = 0;
  if (dir !== undefined) await rm(dir, { recursive: true, force: true });
});

function start(mode: 'place' | 'resume'): {
  child: ChildProcess;
  lines: string[];
  waitFor: (re: RegExp) => Promise<string>;
} {
  const child = spawn(tsx, [script, dir as string, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  children.push(child);
  const lines: string[] = [];
  const waiters: { re: RegExp; resolve: (line: string) => void }[] = [];
  let buffered = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    buffered += chunk.toString();
    for (let nl = buffered.indexOf('\n'); nl >= 0; nl = buffered.indexOf('\n')) {
      const line = buffered.slice(0, nl);
      buffered = buffered.slice(nl + 1);
      lines.push(line);
      for (const w of waiters.filter((w) => w.re.test(line))) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(line);
      }
    }
  });
  const waitFor = (re: RegExp): Promise<string> => {
    const seen = lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      waiters.push({ re, resolve });
      child.on('exit', (code) => reject(new Error(`exited with ${code} before ${re}: ${lines.join('\n')}`)));
    });
  };
  return { child, lines, waitFor };
}

describe('the authority killed mid-saga', () => {
  it('resumes the saga after a restart: charged once, shipped once, sold once', async () => {
    dir = await mkdtemp(join(tmpdir(), 'checkout-crash-'));
    const first = start('place');
    await first.waitFor(/"charge:started"\]/);
    first.child.kill('SIGKILL');
    await new Promise((resolve) => first.child.on('exit', resolve));
    expect(first.lines.some((l) => l.includes('"confirmed"'))).toBe(false);

    const second = start('resume');
    const final = JSON.parse(await second.waitFor(/"final"/));
    expect(final).toEqual({
      final: 'confirmed',
      charges: 1,
      shipments: 1,
      stock: [['kiwi', { available: 0, reserved: 0, sold: 1, price: 100 }]],
      fence: 2,
    });
  });
});
