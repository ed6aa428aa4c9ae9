// The classic checkout scenarios of issue 20, in the simulation (deterministic): the last item sold once
// with a clear refusal for the other side, payment and shipment failures compensated, a duplicate retry
// charged once, and a paused holder fenced off when it wakes after its lease.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runScenario } from '../src/runner.ts';
import { parseScenarioText } from '../src/scenario.ts';

const run = (file: string) =>
  runScenario(parseScenarioText(readFileSync(join(import.meta.dirname, '..', file), 'utf8')));

describe('checkout scenarios', () => {
  it('sells the last item once; the other side is refused and charged nothing', async () => {
    const report = await run('checkout-last-item.json');
    expect(report.stock).toEqual({ 'last-lamp': 0 });
    const byKey = Object.fromEntries((report.orders ?? []).map((o) => [o.key, o]));
    expect(byKey['b-1']).toMatchObject({ status: 'confirmed', charges: 1, shipments: 1 });
    expect(byKey['a-1']).toMatchObject({ id: null, status: 'refused', charges: 0 });
    expect(byKey['a-1']?.reason).toMatch(/checkout needs the authority/);
    expect(byKey['a-2']).toMatchObject({ status: 'refused', charges: 0 });
    expect(byKey['a-2']?.reason).toMatch(/out of stock/);
    // The retry under b-1 placed no second order.
    expect(report.orders?.filter((o) => o.key === 'b-1')).toHaveLength(1);
    // The CRDT counter alone would have sold a lamp that does not exist.
    expect(report.engines.converge?.replicas['shop-a']?.counters.stock).toBe(-1);
  }, 60_000);

  it('compensates failed payments and shipments: stock released, charges refunded', async () => {
    const report = await run('checkout-payment-fails.json');
    const [first, second, third] = report.orders ?? [];
    expect(first).toMatchObject({ key: 'first', status: 'compensated', charges: 0 });
    expect(first?.steps.map((s) => s.step)).toEqual(['place', 'reserve', 'charge', 'charge', 'release']);
    expect(second).toMatchObject({ key: 'second', status: 'confirmed', charges: 1, shipments: 1 });
    expect(third).toMatchObject({ key: 'third', status: 'compensated', charges: 1, refunds: 1 });
    expect(report.stock).toEqual({ kiwi: 1 });
  }, 60_000);

  it('fences off a paused holder that wakes after its lease passed', async () => {
    const report = await run('checkout-fenced-holder.json');
    expect(report.orders).toHaveLength(1);
    expect(report.orders?.[0]).toMatchObject({ status: 'confirmed', charges: 1 });
    // Its successor finished the saga with the next token; the old holder's calls were refused.
    expect(new Set(report.orders?.[0]?.steps.map((s) => s.token))).toEqual(new Set([2]));
    expect(report.fenced?.length).toBeGreaterThan(0);
    expect(report.fenced?.every((f) => f.token === 1 && f.fence === 2)).toBe(true);
    expect(report.stock).toEqual({ kiwi: 2 });
  }, 60_000);
});
