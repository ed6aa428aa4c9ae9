import { describe, expect, it } from 'vitest';
import { describeRelayProblem } from '../logic/relay-problem.ts';

describe('relay problems in plain words', () => {
  it('says what happened without a close code; the code goes to the tooltip', () => {
    const dropped = describeRelayProblem({ kind: 'closed', code: 1006, reason: '', permanent: false });
    expect(dropped).toEqual({
      text: 'The connection to the relay dropped; reconnecting.',
      detail: 'WebSocket close code 1006',
    });
    expect(dropped?.text).not.toMatch(/\d{4}/);
    const refused = describeRelayProblem({
      kind: 'closed',
      code: 4003,
      reason: 'bad credential',
      permanent: true,
    });
    expect(refused).toEqual({
      text: 'The relay did not accept this window’s credential for the room; switch Offline on and off to try again.',
      detail: 'WebSocket close code 4003: bad credential',
    });
    expect(describeRelayProblem({ kind: 'closed', code: 4999, reason: '', permanent: false })?.text).toBe(
      'The relay closed the connection; reconnecting.',
    );
  });

  it('stays quiet for ordinary closes', () => {
    expect(
      describeRelayProblem({ kind: 'closed', code: 1000, reason: '', permanent: false }),
    ).toBeUndefined();
    expect(
      describeRelayProblem({ kind: 'closed', code: 1001, reason: 'bye', permanent: false }),
    ).toBeUndefined();
  });

  it('keeps the technical message for every other kind', () => {
    expect(describeRelayProblem({ kind: 'connect-failed', message: 'ECONNREFUSED' })).toEqual({
      text: 'Cannot reach the relay; retrying.',
      detail: 'ECONNREFUSED',
    });
    expect(describeRelayProblem({ kind: 'read-only', room: 'lab' })?.text).toContain('may read room lab');
  });
});
