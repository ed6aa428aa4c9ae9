import { encodePresenceMessage, PRESENCE_CHANNEL, PRESENCE_TIMEOUT_MS } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../src/engines/index.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';

closeSimRoomsAfterEach();

const alice = {
  name: 'Alice',
  colour: '#cc3366',
  panel: 'text',
  caret: { field: 'text', anchor: 2, head: 4 },
};

describe('presence', () => {
  it('reaches reachable peers, hides behind a cut link, says who left, and is never stored', async () => {
    const { clock, net, open } = simRoom({ seed: 1, engines: ENGINES.only(['converge']), antiEntropyMs: 0 });
    const a = await open('a');
    const b = await open('b');
    const c = await open('c');
    clock.advance(10);
    a.setPresence(alice);
    clock.advance(10);
    expect(b.presence()).toEqual([
      expect.objectContaining({ id: 'a', name: 'Alice', status: 'here', caret: alice.caret }),
    ]);
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
    expect(b.presence()[0]).toEqual(
      expect.objectContaining({ status: 'here', caret: { field: 'text', anchor: 9, head: 9 } }),
    );
    await a.close();
    clock.advance(10);
    expect(b.presence()[0]?.status).toBe('offline');
    // Nothing of it is in b's store: a new replica on b's stored data knows no presence.
    expect(JSON.stringify(b.status())).not.toContain('Alice');
  });

  it('reaches a peer after the edit that moved the caret, never before it', async () => {
    const { clock, open } = simRoom({ seed: 3, engines: ENGINES.only(['converge']), antiEntropyMs: 0 });
    const a = await open('a');
    const b = await open('b');
    clock.advance(10);
    // b notes its text whenever a's presence arrives: the caret a announces counts the typed "x".
    const textAtPresence: string[] = [];
    b.subscribe((event) => {
      if (event.type === 'presence') textAtPresence.push(b.textSlice('converge'));
    });
    const typed = a.apply({ op: 'text.insert', pos: 0, text: 'x' });
    a.setPresence({ ...alice, caret: { field: 'text', anchor: 1, head: 1 } });
    await typed;
    clock.advance(10);
    expect(b.presence()[0]?.caret).toEqual({ field: 'text', anchor: 1, head: 1 });
    expect(textAtPresence).toEqual(['x']);
  });

  it('forgets a peer that stops renewing, keeps the newest of reordered announcements, drops garbage', async () => {
    const { clock, open, net } = simRoom({ seed: 2, engines: ENGINES.only(['converge']), antiEntropyMs: 0 });
    const b = await open('b');
    // A bare node of the room that announces by hand, and never renews.
    const x = net.transport('x');
    x.start({ linkUp: () => {}, linkDown: () => {}, message: () => {} });
    clock.advance(10);
    const announce = (seq: number, name: string) =>
      x.send(
        'b',
        PRESENCE_CHANNEL,
        encodePresenceMessage({ seq, name, colour: '#000000', panel: '', caret: null }),
      );
    announce(5, 'New');
    announce(3, 'Old'); // late and reordered: not rolled back to
    clock.advance(10);
    expect(b.presence()).toEqual([expect.objectContaining({ id: 'x', name: 'New', status: 'here' })]);
    // Garbage on the presence channel and presence on an engine channel are reported, not applied.
    x.send('b', PRESENCE_CHANNEL, Uint8Array.of(2, 99));
    x.send(
      'b',
      ENGINES.get('converge').wireCode,
      encodePresenceMessage({ seq: 9, name: 'Evil', colour: '#000000', panel: '', caret: null }),
    );
    clock.advance(10);
    expect(b.problems().map((p) => p.kind)).toEqual(['rejected-payload', 'rejected-payload']);
    expect(b.presence()[0]?.name).toBe('New');
    expect(() => b.setPresence({ ...alice, colour: 'red' })).toThrow(/colour/);
    clock.advance(PRESENCE_TIMEOUT_MS + 15_000);
    expect(b.presence()).toEqual([]);
  });
});
