/**
 * The engine lifecycle contract, for every engine the registry offers: `close` releases what the
 * engine holds, after it every use throws EngineClosedError and its sessions go quiet, and cycles of
 * opening and closing engines do not grow memory (measured in a fresh process with forced collections,
 * see support/open-close-cycles.ts).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { SeededRandom } from '@converge/crdt-core';
import { describe, expect, it } from 'vitest';
import { ENGINES, type Engine, EngineClosedError, type EngineName, type Intent } from '../../src/index.ts';

const CYCLES_SCRIPT = join(import.meta.dirname, 'support/open-close-cycles.ts');
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const MiB = 1024 * 1024;
const run = promisify(execFile);

function open(name: EngineName, id: string): Engine {
  const rng = new SeededRandom(id.charCodeAt(0));
  return ENGINES.create(name, {
    replicaId: id,
    now: () => 1_700_000_000_000,
    randomUint32: () => rng.nextUint32(),
  });
}

const EDIT: Intent = { op: 'text.insert', pos: 0, text: 'hi' };

interface CycleReport {
  readonly nativeBefore: number;
  readonly nativeAfter: number;
  readonly totalBefore: number;
  readonly totalAfter: number;
}

async function runCycles(name: EngineName, warmup: number, cycles: number): Promise<CycleReport> {
  const args = ['--expose-gc', '--import', TSX, CYCLES_SCRIPT, name, String(warmup), String(cycles)];
  const { stdout } = await run(process.execPath, args);
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '') as CycleReport;
}

describe.each(ENGINES.names)('%s engine lifecycle', (name) => {
  it('refuses every use after close, with EngineClosedError', () => {
    const engine = open(name, 'a');
    engine.apply(EDIT);
    const snapshot = engine.save();
    engine.close();
    engine.close(); // idempotent
    const uses: [string, () => unknown][] = [
      ['apply', () => engine.apply(EDIT)],
      ['view', () => engine.view()],
      ['applyUpdate', () => engine.applyUpdate(snapshot)],
      ['save', () => engine.save()],
      ['onChange', () => engine.onChange(() => {})],
      ['openSession', () => engine.openSession('b', () => {})],
      ['version', () => engine.version()],
      ['digest', () => engine.digest()],
    ];
    for (const [method, use] of uses) {
      expect(use, method).toThrow(EngineClosedError);
      expect(use, method).toThrow(`the ${name} engine is closed`);
    }
  });

  it('refuses a malformed update after close with EngineClosedError, not a decode error', () => {
    const engine = open(name, 'a');
    engine.close();
    expect(() => engine.applyUpdate(new Uint8Array([1, 2, 3]))).toThrow(EngineClosedError);
  });

  it('quiets the sessions opened from it: nothing is sent, payloads are refused', () => {
    const a = open(name, 'a');
    const b = open(name, 'b');
    const fromA: Uint8Array[] = [];
    const fromB: Uint8Array[] = [];
    const sessionA = a.openSession('b', (payload) => fromA.push(payload));
    const sessionB = b.openSession('a', (payload) => fromB.push(payload));
    a.onChange((change) => sessionA.changed(change));
    sessionA.start();
    sessionB.start();
    b.apply(EDIT);
    const sentBefore = fromA.length;
    const changes: unknown[] = [];
    a.onChange((change) => changes.push(change));
    a.close();
    for (const payload of fromB) expect(sessionA.receive(payload)).toBe(false);
    sessionA.antiEntropy();
    sessionA.start();
    expect(fromA.length).toBe(sentBefore);
    expect(changes).toEqual([]); // subscribers were dropped, and nothing changed
    // The peer is unaffected.
    expect(b.view().text).toBe('hi');
    sessionA.close();
    b.close();
  });

  it('does not grow memory over open/close cycles', async () => {
    const report = await runCycles(name, 20, 120);
    // Native memory (an Automerge document's WebAssembly) comes back at close, with no collection.
    expect(report.nativeAfter - report.nativeBefore).toBeLessThan(MiB);
    // Everything else comes back to the collector.
    expect(report.totalAfter).toBeLessThan(report.totalBefore * 1.1 + MiB);
  }, 60_000);
});
