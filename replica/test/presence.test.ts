import { encodePresenceMessage, PRESENCE_TIMEOUT_MS } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../src/engines/index.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

const alice = { name: 'Alice', colour: '#cc3366', panel: 'text', caret: { field: 'text', anchor: 2, head: 4 } };

describe('presence', () => {
  it('reaches reachable peers, hides behind a cut link, says who left, and is never stored', async () => {
    const { clock, net, open } = simRoom({ seed: 1, engines: ENGINES.only(['converge']), antiEntropyMs: 0 });
    const a = await open('a');
    const b = await open('b');
    const c = await open('c');
    clock.advance(10);
    a.setPresence(alice);
    clock.advance(10);
    expect(b.presence()).toEqual([expect.objectContaining({ id: 'a', name: 'Alice', status: 'here', caret: alice.caret })]);
    expect(a.presence()).toEqual([]); // b and c never set theirs
    net.cut('a', 'b');
    clock.advance(10);
    expect(b.presence()).toEqual([expect.objectContaining({ id: 'a', status: 'cut-off' })]);
    // While cut, a moves its caret: c sees it, b does not.
    a.setPresence({ ...alice, caret: { field: 'text', anchor: 9, head: 9 } });
    clock.advance(10);
    expect(c.presence()[0]?.caret).toEqual({ field: 'text', anchor: 9, head: 9 });
    expect(b.presence()[0]?.caret).toEqual(alice.caret);
    net.heal();
    clock.advance(10);
    // On link-up a announces itself again, with its newest state.
    expect(b.presence()[0]).toEqual(expect.objectContaining({ status: 'here', caret: { field: 'text', anchor: 9, head: 9 } }));
    await a.close();
    clock.advance(10);
    expect(b.presence()[0]?.status).toBe('offline');
    // Nothing of it is in b's store: a new replica on b's stored data knows no presence.
    expect(JSON.stringify(b.status())).not.toContain('Alice');
  });

  it('forgets a peer that stops renewing, keeps the newest of reordered announcements, drops garbage', async () => {
    const { clock, open } = simRoom({ seed: 2, engines: ENGINES.only(['converge']), antiEntropyMs: 0 });
    const a = await open('a');
    const b = await open('b');
    clock.advance(10);
    a.setPresence(alice);
    clock.advance(10);
    // An older announcement arriving late (seq 0 < 1) does not roll the state back.
    const stale = encodePresenceMessage({ seq: 0, name: 'Old', colour: '#000000', panel: '', caret: null });
    b['presenceOf'].receive('a', stale);
    expect(b.presence()[0]?.name).toBe('Alice');
    // Garbage on the presence channel and presence on an engine channel are reported, not applied.
    b['presenceOf'].receive('a', new Uint8Array([2, 99]));
    b['sessions'].receive('a', ENGINES.get('converge').wireCode, new Uint8Array([2, 1, 0, 0, 0, 0]));
    expect(b.problems().map((p) => p.kind)).toEqual(['rejected-payload', 'rejected-payload']);
    expect(() => a.setPresence({ ...alice, colour: 'red' })).toThrow(/colour/);
    // a stops renewing (its renew timer is stopped): b forgets it within timeout + one renewal period.
    a['presenceOf'].stop();
    clock.advance(PRESENCE_TIMEOUT_MS + 15_000);
    expect(b.presence()).toEqual([]);
  });
});
