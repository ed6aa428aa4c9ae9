import { ENGINES } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import {
  keystrokeBytesTable,
  measureKeystrokeBytes,
  replayThroughReplica,
  replicaReplayTable,
} from '../src/replica-replay.ts';
import { measureOverhead, overheadTable } from '../src/runtime-overhead.ts';
import type { SequentialWorkload } from '../src/workload.ts';

/** A small sequential trace: typing, a few backspaces and a paste, whose end text is known. */
function typingTrace(): SequentialWorkload {
  const patches: [number, number, string][] = [];
  let text = '';
  for (let i = 0; i < 300; i++) {
    const pos = (i * 37) % (text.length + 1);
    if (i % 10 === 9 && pos < text.length) {
      patches.push([pos, 1, '']);
      text = text.slice(0, pos) + text.slice(pos + 1);
    } else {
      const inserted = i === 150 ? 'a pasted paragraph. ' : String.fromCharCode(97 + (i % 26));
      patches.push([pos, 0, inserted]);
      text = text.slice(0, pos) + inserted + text.slice(pos);
    }
  }
  return { kind: 'sequential', name: 'typing', patches, endContent: text };
}

describe('bench:replica', () => {
  it('replays a trace through every engine of one replica, times each apart, and checks the outcome', async () => {
    const result = await replayThroughReplica(typingTrace());
    expect(result.edits).toBe(300);
    expect(result.textsMatch).toBe(true);
    expect(result.digestsAgree).toBe(true);
    expect(Object.keys(result.engineMs).sort()).toEqual([...ENGINES.names].sort());
    for (const ms of Object.values(result.engineMs)) expect(ms).toBeGreaterThan(0);
    const inEngines = Object.values(result.engineMs).reduce((n, ms) => n + ms, 0);
    expect(result.runtimeMs).toBeCloseTo(result.totalMs - inEngines, 6);
    expect(replicaReplayTable(result)).toContain('the runtime itself');
  }, 60_000);

  it('measures the runtime overhead in CPU time against the bare converge engine', async () => {
    const result = await measureOverhead(typingTrace(), 300, 3);
    expect(Object.keys(result.bareEngineCpuMs).sort()).toEqual([...ENGINES.names].sort());
    expect(result.intents).toBe(300);
    expect(result.warm.pairs).toBe(2);
    expect(result.warmWithoutCompaction.pairs).toBe(2);
    expect(result.warm.replicaMs).toBeGreaterThan(0);
    expect(Number.isFinite(result.warm.overhead)).toBe(true);
    expect(overheadTable(result)).toContain('Runtime overhead');
  }, 60_000);

  it('counts the bytes a keystroke costs per engine, on the wire and in the store', async () => {
    const result = await measureKeystrokeBytes(20_000, 10);
    for (const name of ENGINES.names) {
      expect(result.wire[name]).toBeGreaterThan(0);
      expect(result.store[name]).toBeGreaterThan(0);
      // Proportional to the keystroke, not to the 20 KB text.
      expect(result.store[name]).toBeLessThan(1_000);
    }
    expect(keystrokeBytesTable(result)).toContain('| lww |');
  }, 60_000);
});
