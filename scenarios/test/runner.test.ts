import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { VirtualClock } from '@converge/protocol';
import { ENGINES, MemoryStore, Replica, SimNetwork } from '@converge/replica';
import { createRelay } from '@converge/sync-server';
import { storagePeers } from '@converge/sync-server/storage';
import { describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { toBase64 } from '../src/base64.ts';
import { unexplainedMismatches } from '../src/compare-reports.ts';
import { formatReport, type MergeReport } from '../src/report.ts';
import { runScenario } from '../src/runner.ts';
import { parseScenarioText } from '../src/scenario.ts';

const dir = join(import.meta.dirname, '..');
const load = (file: string) => parseScenarioText(readFileSync(join(dir, file), 'utf8'));
const run = (file: string): Promise<MergeReport> => runScenario(load(file));
const first = (report: MergeReport, engine: 'converge' | 'yjs' | 'automerge' | 'lww') =>
  Object.values(report.engines[engine]?.replicas ?? {})[0];

function expectAllConverged(report: MergeReport): void {
  for (const engine of ['converge', 'yjs', 'automerge', 'lww'] as const) {
    expect(report.engines[engine]?.converged, engine).toBe(true);
  }
}

describe('shipped scenarios, in the simulated network', () => {
  it('two offline users typing at one position: CRDTs keep both words whole, LWW loses one', async () => {
    const report = await run('hello-goodbye.json');
    expectAllConverged(report);
    for (const engine of ['converge', 'yjs', 'automerge'] as const) {
      expect(['Hello WorldGoodbye', 'GoodbyeHello World']).toContain(first(report, engine)?.text);
    }
    expect(report.ledgers.lww?.lost).toHaveLength(1);
    expect(report.ledgers.lww?.lost[0]).toMatchObject({ op: 'text.insert', reason: 'concurrent' });
  });

  it('a cart edited offline on two devices: converge adds concurrent adds and keeps a line re-added during a remove', async () => {
    const report = await run('cart-phone-laptop.json');
    expectAllConverged(report);
    expect(first(report, 'converge')?.cart).toEqual({ apple: 6, bread: 1, milk: 2 });
    expect(first(report, 'automerge')?.cart.apple).toBe(6);
    expect(report.differences.some((d) => d.field === 'cart')).toBe(true);
  });

  it('the last item bought on both sides of a partition: the PN counter shows the oversell', async () => {
    const report = await run('last-item-oversell.json');
    expectAllConverged(report);
    expect(first(report, 'converge')?.counters.stock).toBe(-1);
    expect(first(report, 'automerge')?.counters.stock).toBe(-1);
    expect(first(report, 'lww')?.counters.stock).toBe(0);
  });

  it('likes on three partitioned replicas: counters add up, read-modify-write loses increments', async () => {
    const report = await run('likes-three-partitions.json');
    expectAllConverged(report);
    expect(first(report, 'converge')?.counters.likes).toBe(7);
    expect(first(report, 'automerge')?.counters.likes).toBe(7);
    expect(first(report, 'yjs')?.counters.likes).toBeLessThan(7);
  });

  it('a note written concurrently: converge keeps both as siblings, LWW loses one', async () => {
    const report = await run('concurrent-note.json');
    expectAllConverged(report);
    expect(first(report, 'converge')?.note).toEqual(['ship Monday', 'ship Tuesday']);
    expect(first(report, 'lww')?.note).toHaveLength(1);
    expect(report.ledgers.lww?.lost.filter((l) => l.op === 'note.set')).toHaveLength(1);
  });

  it('clock skew: LWW drops the causally later write and says why', async () => {
    const report = await run('clock-skew.json');
    expect(first(report, 'converge')?.note).toEqual(['final (written after seeing draft)']);
    expect(first(report, 'lww')?.note).toEqual(['draft']);
    expect(report.ledgers.lww?.lost).toEqual([
      expect.objectContaining({ replica: 'slow', reason: 'clock-skew' }),
    ]);
  });

  it('undo while another window types: each engine undoes its own way, the other window’s text stays', async () => {
    const report = await run('undo-while-others-type.json');
    expectAllConverged(report);
    for (const engine of ['converge', 'yjs', 'automerge', 'lww'] as const) {
      expect(first(report, engine)?.text).toBe('Hi! Dear team,');
    }
    // Y.UndoManager takes the like back; a grow-only counter cannot be decremented by the others.
    expect(first(report, 'yjs')?.counters.likes).toBe(0);
    expect(first(report, 'converge')?.counters.likes).toBe(1);
  });

  it('gives the same report for the same scenario every time', async () => {
    expect(await run('cart-phone-laptop.json')).toEqual(await run('cart-phone-laptop.json'));
  });

  it('reloads a restarted replica from its store with everything it acknowledged', async () => {
    const report = await runScenario(
      parseScenarioText(
        JSON.stringify({
          name: 'restart',
          replicas: ['a', 'b'],
          steps: [
            { offline: 'a' },
            { replica: 'a', op: 'text.insert', pos: 0, text: 'kept' },
            { replica: 'a', op: 'counter.increment', name: 'likes', by: 4 },
            { restart: 'a' },
            { online: 'a' },
            { sync: true },
          ],
        }),
      ),
    );
    expectAllConverged(report);
    for (const engine of ['converge', 'yjs', 'automerge', 'lww'] as const) {
      expect(first(report, engine), engine).toMatchObject({ text: 'kept', counters: { likes: 4 } });
    }
  });
});

describe('over a real relay', () => {
  it('runs a scenario with partitions through the relay and reports the same merge', async () => {
    const relay = await createRelay({ logLevel: 'error' });
    try {
      await expect(
        runScenario(load('likes-three-partitions.json'), { relayUrl: relay.url, WebSocket }),
      ).rejects.toThrow(/a relay needs --token/);
      // A room credential with admin rights is enough for a named room: it mints the replicas' own credentials.
      const scenario = load('likes-three-partitions.json');
      const { token } = await relay.mintCredential({
        room: 'likes-lab',
        replica: 'runner',
        rights: ['read', 'write', 'admin'],
      });
      // It cannot make a fresh room, which a scenario without a room name runs in: said before anything runs.
      await expect(runScenario(scenario, { relayUrl: relay.url, WebSocket, token })).rejects.toThrow(
        /credential for room likes-lab only.*--room likes-lab/,
      );
      const report = await runScenario(scenario, {
        relayUrl: relay.url,
        WebSocket,
        token,
        room: 'likes-lab',
      });
      expectAllConverged(report);
      expect(first(report, 'converge')?.counters.likes).toBe(7);
      // Without --data-dir the relay keeps no storage peer, and the report says so.
      expect(report.world).toEqual({
        kind: 'relay',
        url: relay.url,
        room: 'likes-lab',
        roomNamed: true,
        seed: 1,
        storagePeer: false,
      });
      expect(relay.stats().violations.unauthorized).toBe(0);
    } finally {
      await relay.close();
    }
  }, 60_000);

  it('says what a named room held at the start when it was not empty', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'converge-named-room-'));
    const relay = await createRelay({ logLevel: 'error', storage: storagePeers(dataDir) });
    try {
      const options = { relayUrl: relay.url, WebSocket, token: relay.adminToken, room: 'shared' };
      const once = await runScenario(load('likes-three-partitions.json'), options);
      expect(once.start).toEqual({ empty: true });
      const again = await runScenario(load('likes-three-partitions.json'), options);
      // The storage peer kept the first run's likes: the second run starts from them and says so.
      expect(again.start.empty).toBe(false);
      expect(again.start).toMatchObject({ engines: { converge: { counters: { likes: 7 } } } });
      expect(first(again, 'converge')?.counters.likes).toBe(14);
      expect(formatReport(again)).toContain('The room was NOT empty at the start');
    } finally {
      await relay.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);
});

describe('a file that carries the room state at its start', () => {
  /** Engine snapshots of a replica that wrote some text and a note: what an export from the app carries. */
  async function recordedStart(): Promise<{ at: number; engines: Record<string, string> }> {
    const replica = await Replica.open({
      id: 'w-1',
      transport: new SimNetwork({ timers: new VirtualClock(0), seed: 1 }).transport('w-1'),
      store: new MemoryStore(),
      engines: ENGINES,
      antiEntropyMs: 0,
    });
    await replica.apply({ op: 'text.insert', pos: 0, text: 'The room held this text already.' });
    await replica.apply({ op: 'note.set', value: 'old' });
    const engines = Object.fromEntries(
      replica.engineNames.map((e) => [e, toBase64(replica.engine(e).save())]),
    );
    await replica.close();
    return { at: Date.now(), engines };
  }

  it('starts every replica from it, in the simulation and over a relay, with the same result', async () => {
    const file = parseScenarioText(
      JSON.stringify({
        name: 'mid-room',
        replicas: ['a', 'b'],
        start: await recordedStart(),
        steps: [
          { replica: 'a', op: 'text.insert', pos: 23, text: ' mostly' },
          { partition: [['a'], ['b']] },
          { replica: 'a', op: 'note.set', value: 'from a' },
          { replica: 'b', op: 'note.set', value: 'from b' },
          { heal: true },
        ],
      }),
    );
    const sim = await runScenario(file);
    expectAllConverged(sim);
    expect(sim.start).toMatchObject({
      empty: false,
      engines: { yjs: { text: 'The room held this text already.' } },
    });
    for (const engine of ['converge', 'yjs', 'automerge', 'lww'] as const) {
      expect(first(sim, engine)?.text, engine).toBe('The room held this text mostly already.');
    }
    // The start state's LWW writes were stamped with the wall clock: the simulation's clock starts
    // after them, so the replayed writes win as they did when recorded.
    expect(first(sim, 'lww')?.note).toEqual(['from b']);
    expect(first(sim, 'converge')?.note).toEqual(['from a', 'from b']);
    const dataDir = mkdtempSync(join(tmpdir(), 'converge-start-state-'));
    const relay = await createRelay({ logLevel: 'error', storage: storagePeers(dataDir) });
    try {
      const overRelay = await runScenario(file, { relayUrl: relay.url, WebSocket, token: relay.adminToken });
      expect(overRelay.start).toEqual(sim.start);
      expect(unexplainedMismatches(sim, overRelay)).toEqual([]);
    } finally {
      await relay.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('fails naming the replica when the start state cannot be read', async () => {
    const file = parseScenarioText(
      JSON.stringify({ name: 'bad start', replicas: ['a'], start: { engines: { yjs: 'AAAA' } }, steps: [] }),
    );
    await expect(runScenario(file)).rejects.toThrow(/replica a could not load the scenario's start state/);
  });
});

describe('the command line', () => {
  const exec = promisify(execFile);
  const cli = (args: string[]) =>
    exec(process.execPath, ['--import', 'tsx', join(dir, 'src/cli.ts'), ...args], { cwd: dir }).then(
      (r) => ({ code: 0, ...r }),
      (e: { code: number; stdout: string; stderr: string }) => e,
    );

  it('prints the report as JSON with --json', async () => {
    const { code, stdout } = await cli([join(dir, 'likes-three-partitions.json'), '--json']);
    expect(code).toBe(0);
    const report = JSON.parse(stdout) as MergeReport;
    expect(Object.keys(report)).toEqual([
      'name',
      'world',
      'start',
      'engines',
      'ledgers',
      'differences',
      'wallTime',
    ]);
    expect(report.world).toEqual({ kind: 'simulation', seed: 1, storagePeer: true });
  });

  it('writes the JSON report to the file --out names, and prints the readable one', async () => {
    const out = join(tmpdir(), `scenario-report-${process.pid}.json`);
    try {
      const { code, stdout } = await cli([join(dir, 'likes-three-partitions.json'), '--out', out]);
      expect(code).toBe(0);
      expect(stdout).toContain('Scenario: Likes incremented on three partitioned replicas');
      const report = JSON.parse(readFileSync(out, 'utf8')) as MergeReport;
      expect(report.engines.converge?.converged).toBe(true);
    } finally {
      rmSync(out, { force: true });
    }
  });

  it('prints its usage on --help and exits 0', async () => {
    const { code, stdout } = await cli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run -s scenario -- FILE\.json/);
    expect(stdout).toContain('--out FILE');
  });

  it('refuses an unknown flag with a message and exit 2', async () => {
    const { code, stderr } = await cli([join(dir, 'likes-three-partitions.json'), '--jsn']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/Unknown option '--jsn'/);
    expect(stderr).toContain('usage:');
  });

  it('exits 2 naming the bad step of an invalid file', async () => {
    const file = join(tmpdir(), `bad-scenario-${process.pid}.json`);
    writeFileSync(
      file,
      JSON.stringify({ name: 'x', replicas: ['a'], steps: [{ sync: true }, { heal: 'yes' }] }),
    );
    const { code, stderr } = await cli([file]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/invalid step 2/);
  });

  it('exits 2 when --relay comes without a --token to mint the replicas’ credentials', async () => {
    const { code, stderr } = await cli([
      join(dir, 'likes-three-partitions.json'),
      '--relay',
      'ws://127.0.0.1:1',
    ]);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--relay needs --token/);
  });
});
