// The process tests read a child relay's JSON log while it runs: a line it is halfway through
// writing must wait for its end, not fail the test with a JSON syntax error.
import { describe, expect, it } from 'vitest';
import { runProcess, waitFor } from './support.ts';

describe('runProcess', () => {
  it('parses only the log lines a running process has finished', async () => {
    const script = `process.stdout.write('{"a":1}\\n{"b":'); setTimeout(() => process.stdout.write('2}\\n'), 200);`;
    const running = runProcess(process.execPath, ['-e', script]);
    await waitFor(() => running.stdout().includes('{"b":'), 'the half-written line');
    if (!running.stdout().includes('2}')) expect(running.lines()).toEqual([{ a: 1 }]);
    expect(await running.exited).toBe(0);
    expect(running.lines()).toEqual([{ a: 1 }, { b: 2 }]);
  });
});
