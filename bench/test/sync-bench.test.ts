import { describe, expect, it } from 'vitest';
import { runSyncBench, syncBenchTable } from '../src/sync-bench.ts';

describe('bench:sync', () => {
  it('types into a shared text and reports every engine converged, with its receivers and bytes', async () => {
    const result = await runSyncBench({ textBytes: 3_000, keystrokes: 3, intervalMs: 20, timeoutMs: 20_000 });
    expect(Object.keys(result.engines)).toEqual(['converge', 'yjs', 'automerge', 'lww', 'loro']);
    for (const [name, engine] of Object.entries(result.engines)) {
      expect(engine.convergedMs, name).not.toBeNull();
      expect(engine.receiverMs, name).toHaveLength(2);
      expect(engine.typistBytesPerKeystroke, name).toBeGreaterThan(0);
      expect(engine.wireBytesPerKeystroke, name).toBeGreaterThanOrEqual(engine.typistBytesPerKeystroke);
    }
    expect(syncBenchTable(result)).toContain('| automerge |');
  }, 60_000);
});
