// Issue 27's proof: every shipped scenario over a real relay with a data dir (so every room has a storage
// peer), twice in a row, against the simulation. The runs must agree wherever the merge does not depend
// on wall time, and every difference left must be one the reports list as depending on it.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRelay, type Relay } from '@converge/sync-server';
import { authorities } from '@converge/sync-server/checkout';
import { storagePeers } from '@converge/sync-server/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { unexplainedMismatches } from '../src/compare-reports.ts';
import type { MergeReport } from '../src/report.ts';
import { runScenario } from '../src/runner.ts';
import { parseScenarioText } from '../src/scenario.ts';

const dir = join(import.meta.dirname, '..');
const shipped = readdirSync(dir)
  .filter((f) => f.endsWith('.json') && !['package.json', 'tsconfig.json'].includes(f))
  .sort();

describe('shipped scenarios over a real relay with a data dir, twice, against the simulation', () => {
  let relay: Relay;
  let dataDir: string;
  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'converge-scenario-parity-'));
    relay = await createRelay({
      storage: storagePeers(dataDir),
      authority: authorities(dataDir),
      logLevel: 'error',
    });
  });
  afterAll(async () => {
    await relay?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it.each(shipped)(
    '%s',
    async (file) => {
      const scenario = parseScenarioText(readFileSync(join(dir, file), 'utf8'));
      const sim = await runScenario(scenario);
      const overRelay = (): Promise<MergeReport> =>
        runScenario(scenario, { relayUrl: relay.url, token: relay.adminToken, WebSocket });
      const first = await overRelay();
      const second = await overRelay();
      for (const report of [first, second]) {
        expect(report.world).toMatchObject({
          kind: 'relay',
          url: relay.url,
          roomNamed: false,
          storagePeer: true,
        });
        expect(report.start).toEqual({ empty: true });
        expect(unexplainedMismatches(sim, report)).toEqual([]);
      }
      // Each run had a room of its own: the second did not start from the first one's leftovers.
      expect(second.world).not.toMatchObject({ room: (first.world as { room: string }).room });
      expect(unexplainedMismatches(first, second)).toEqual([]);
      for (const engine of ['converge', 'yjs', 'automerge'] as const) {
        expect(first.engines[engine]).toEqual(sim.engines[engine]);
        expect(second.engines[engine]).toEqual(sim.engines[engine]);
      }
      // Checkout decides the same on the relay's authority as in the simulation.
      const outcome = (report: MergeReport) => ({
        stock: report.stock,
        orders: report.orders?.map(({ id, replica, key, status, charges, refunds, shipments, reason }) => ({
          ...{ id, replica, key, status, charges, refunds, shipments, reason },
        })),
      });
      expect(outcome(first)).toEqual(outcome(sim));
      expect(outcome(second)).toEqual(outcome(sim));
    },
    60_000,
  );
});
