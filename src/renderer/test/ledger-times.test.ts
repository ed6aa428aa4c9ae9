import type { LostWrite } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { ledgerTimes } from '../logic/ledger-times.ts';

/** Times as seconds since a fixed instant, so the test does not depend on the time zone. */
const time = (ms: number) => `T+${(ms - 1_700_000_000_000) / 1000}s`;

const entry = (lost: Partial<LostWrite>, winner: Partial<LostWrite['overwrittenBy']>): LostWrite => ({
  replica: 'bob',
  counter: 1,
  op: 'note.set',
  field: 'note',
  value: 'bob',
  wallMs: 1_700_000_002_600,
  reason: 'concurrent',
  ...lost,
  overwrittenBy: { replica: 'alice', counter: 1, value: 'alice', wallMs: 1_700_000_060_000, ...winner },
});

describe('ledger times', () => {
  it("tells wall time from a skewed clock: the issue's writer who wrote first in real time", () => {
    // alice's clock runs 60 s ahead: she wrote at T+0 but stamped T+60; bob wrote at T+2.6, unskewed.
    const times = ledgerTimes(entry({ skewMs: 0 }, { skewMs: 60_000 }), time);
    expect(times.lost).toBe('at T+2.6s wall time (its clock was not skewed)');
    expect(times.winner).toBe('at T+0s wall time; its clock, skewed +60 s, stamped it T+60s');
    expect(times.comparison).toBe(
      "alice's clock stamp is 57.4 s later than bob's. Yet in wall time alice wrote 2.6 s earlier: the skew decided.",
    );
  });

  it('when the skew did not change the order, says so without blaming it', () => {
    const times = ledgerTimes(entry({ skewMs: 0 }, { skewMs: 5_000 }), time);
    expect(times.comparison).toBe(
      "alice's clock stamp is 57.4 s later than bob's. In wall time alice wrote 52.4 s later.",
    );
  });

  it('without skew, the stamps are wall time', () => {
    const times = ledgerTimes(entry({ skewMs: 0 }, { skewMs: 0, wallMs: 1_700_000_003_000 }), time);
    expect(times.comparison).toBe(
      "alice's clock stamp is 400 ms later than bob's. No clock was skewed: that is wall time too.",
    );
  });

  it('for writes recorded before writes carried their skew, says only what the stamps say', () => {
    const times = ledgerTimes(entry({}, {}), time);
    expect(times.lost).toBe('stamped T+2.6s by its clock (skew not recorded)');
    expect(times.comparison).toBe("alice's clock stamp is 57.4 s later than bob's.");
  });
});
