/**
 * An edit made before any peer answered, then the replica closes at once (an interop bridge whose client
 * edits and leaves within its first round trip): the edit still reaches the peer in every engine. Automerge's
 * sync protocol sends changes only once the peer has told its heads, so that answer, arriving after the
 * close, used to find nobody to send them: the room lacked the edit in Automerge until the replica came back.
 */
import type { Transport } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../src/engines/index.ts';
import { runTimers } from '../testing/clock-steps.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';
import { wrappedTransport } from '../testing/wrapped-transport.ts';

closeSimRoomsAfterEach();

/**
 * `inner`, deaf to its peers (their answers are still on their way) and closing as a socket does: what
 * it sent before `close` still arrives (`latencyMs` later the connection goes).
 */
function deafClosingLate(inner: Transport, later: (run: () => void) => void): Transport {
  return wrappedTransport(inner, {
    start: (handlers) => inner.start({ ...handlers, message: () => {} }),
    close: () => later(() => inner.close()),
  });
}

describe('an edit made before any peer answered, closing at once', () => {
  it('reaches the peer in every engine', async () => {
    const { clock, net, open } = simRoom({ seed: 23, startMs: 1_700_000_000_000, latencyMs: 20 });
    const b = await open('r-b');
    await b.apply({ op: 'text.insert', pos: 0, text: 'base' });
    await runTimers(clock, 1_000);
    const a = await open('r-a', {
      transport: deafClosingLate(net.transport('r-a'), (run) => clock.setTimeout(run, 100)),
    });
    await runTimers(clock, 100); // linked: every session's hello is out, no answer has come in
    expect(a.peers()).toEqual(['r-b']);
    await a.apply({ op: 'text.insert', pos: 0, text: 'early ' });
    await a.close();
    await runTimers(clock, 5_000);
    for (const name of ENGINES.names) expect(b.view(name).text, name).toContain('early ');
  });
});
