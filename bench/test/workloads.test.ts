import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { checkMerge, SYNTHETIC_NAMES, syntheticWorkload } from '../src/synthetic.ts';
import {
  listTraceFiles,
  loadTrace,
  parseTrace,
  sequentialTraceRequest,
  TraceFormatError,
  traceName,
} from '../src/traces.ts';
import { applyPatch, isSubsequence } from '../src/workload.ts';
import { selectWorkloads } from '../src/workloads.ts';

const dir = mkdtempSync(join(tmpdir(), 'bench-test-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('trace loading', () => {
  const sequential = {
    startContent: '',
    endContent: 'hi!',
    txns: [
      { time: 't', patches: [[0, 0, 'hello']] },
      {
        time: 't',
        patches: [
          [4, 1, '!'],
          [1, 3, 'i'],
        ],
      },
    ],
  };

  it('reads gzipped and plain JSON traces, flattening transactions into patches', () => {
    writeFileSync(join(dir, 'small.json.gz'), gzipSync(JSON.stringify(sequential)));
    writeFileSync(join(dir, 'plain.json'), JSON.stringify(sequential));
    writeFileSync(join(dir, 'notes.txt'), 'ignored');
    expect(listTraceFiles(dir).map(traceName)).toEqual(['plain', 'small']);
    const trace = loadTrace(join(dir, 'small.json.gz'));
    expect(trace.kind).toBe('sequential');
    if (trace.kind !== 'sequential') return;
    expect(trace.patches).toEqual([
      [0, 0, 'hello'],
      [4, 1, '!'],
      [1, 3, 'i'],
    ]);
    expect(trace.patches.reduce(applyPatch, '')).toBe(trace.endContent);
    expect(loadTrace(join(dir, 'plain.json'))).toEqual({ ...trace, name: 'plain' });
  });

  it('reads concurrent traces and validates their causal graph', () => {
    const concurrent = {
      kind: 'concurrent',
      endContent: 'ab',
      numAgents: 2,
      txns: [
        { parents: [], agent: 0, patches: [[0, 0, 'a']] },
        { parents: [0], agent: 1, patches: [[1, 0, 'b']] },
      ],
    };
    expect(parseTrace('c', concurrent)).toMatchObject({ kind: 'concurrent', agents: 2, endContent: 'ab' });
    const badParent = { ...concurrent, txns: [{ parents: [1], agent: 0, patches: [] }] };
    expect(() => parseTrace('c', badParent)).toThrow(/parents/);
    const badAgent = { ...concurrent, txns: [{ parents: [], agent: 5, patches: [] }] };
    expect(() => parseTrace('c', badAgent)).toThrow(/agent/);
  });

  it('checks a command line asking for one sequential trace in the order the commands report', () => {
    const file = join(dir, 'request.json');
    writeFileSync(file, JSON.stringify(sequential));
    const concurrentFile = join(dir, 'request-concurrent.json');
    writeFileSync(
      concurrentFile,
      JSON.stringify({
        kind: 'concurrent',
        endContent: '',
        numAgents: 1,
        txns: [{ parents: [], agent: 0, patches: [] }],
      }),
    );
    const ok = sequentialTraceRequest(file, { flag: '--runs', value: '3' });
    expect(ok).toMatchObject({
      ok: true,
      file,
      count: 3,
      workload: { kind: 'sequential', endContent: 'hi!' },
    });
    expect(sequentialTraceRequest(file, { flag: '--runs', value: undefined })).toMatchObject({
      ok: true,
      count: undefined,
    });
    for (const bad of ['0', '-2', '1.5', 'x'])
      expect(sequentialTraceRequest(file, { flag: '--edits', value: bad })).toEqual({
        ok: false,
        message: `--edits needs a positive integer, got ${bad}`,
        showUsage: true,
      });
    // A bad count is reported before the trace is read, so a concurrent trace with a bad count says so.
    expect(sequentialTraceRequest(concurrentFile, { flag: '--edits', value: '0' })).toMatchObject({
      showUsage: true,
    });
    expect(sequentialTraceRequest(concurrentFile, { flag: '--edits', value: '2' })).toEqual({
      ok: false,
      message: `${concurrentFile}: not a sequential trace`,
      showUsage: false,
    });
  });

  it('names what is wrong with a malformed trace', () => {
    expect(() => parseTrace('x', null)).toThrow(TraceFormatError);
    expect(() => parseTrace('x', { txns: [] })).toThrow(/endContent/);
    expect(() => parseTrace('x', { endContent: '', txns: [{ patches: [[0, 'one', '']] }] })).toThrow(
      /patch 0/,
    );
    writeFileSync(join(dir, 'broken.json'), '{');
    expect(() => loadTrace(join(dir, 'broken.json'))).toThrow(/not JSON/);
  });

  it('selects workloads by name and refuses unknown names', () => {
    const options = {
      tracesDir: null,
      traceFiles: [join(dir, 'small.json.gz')],
      synthetic: ['B1.1-append'],
      syntheticSize: 10,
      seed: 1,
      workloads: null,
    };
    expect(selectWorkloads(options).map((w) => w.name)).toEqual(['small', 'B1.1-append']);
    expect(selectWorkloads({ ...options, workloads: ['small'] }).map((w) => w.name)).toEqual(['small']);
    expect(() => selectWorkloads({ ...options, workloads: ['nope'] })).toThrow(/nope/);
  });
});

describe('synthetic workloads', () => {
  it('are deterministic per seed and differ between seeds', () => {
    for (const name of SYNTHETIC_NAMES) {
      const a = JSON.stringify(syntheticWorkload(name, 300, 42));
      expect(JSON.stringify(syntheticWorkload(name, 300, 42)), name).toBe(a);
      expect(JSON.stringify(syntheticWorkload(name, 300, 43)), name).not.toBe(a);
    }
  });

  it('sequential ones end where their patches lead; concurrent ones know each agent text', () => {
    for (const name of SYNTHETIC_NAMES) {
      const w = syntheticWorkload(name, 200, 7);
      if (w.kind === 'sequential') {
        expect(w.patches.reduce(applyPatch, ''), name).toBe(w.endContent);
      } else {
        expect(w.agentTexts?.length, name).toBe(w.agents);
        expect(
          w.txns.every((t) => t.parents.every((p) => p < w.txns.indexOf(t))),
          name,
        ).toBe(true);
      }
    }
    expect(syntheticWorkload('B3.1-sqrt-n-users-random-insert', 400, 1)).toMatchObject({ agents: 20 });
  });

  it('checkMerge accepts any interleaving of the agents texts and nothing else', () => {
    expect(checkMerge('aXbY', ['ab', 'XY'])).toBeNull();
    expect(checkMerge('XYab', ['ab', 'XY'])).toBeNull();
    expect(checkMerge('baXY', ['ab', 'XY'])).toMatch(/agent 0/);
    expect(checkMerge('abX', ['ab', 'XY'])).toMatch(/characters/);
    expect(checkMerge('abXZ', ['ab', 'XY'])).toMatch(/no agent/);
    expect(isSubsequence('ace', 'abcde')).toBe(true);
    expect(isSubsequence('aec', 'abcde')).toBe(false);
  });
});
