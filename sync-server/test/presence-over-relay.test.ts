// Presence through a real relay: relayed like edits, hidden by a cut link, back when it heals.
import { ENGINES } from '@converge/replica';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Relay } from '../src/index.ts';
import { openWindow, startRelay, waitFor } from './support.ts';

let relay: Relay;

beforeAll(async () => {
  ({ relay } = await startRelay());
});

afterAll(async () => {
  await relay.close();
});

const open = (room: string, id: string) =>
  openWindow(relay, room, id, { engines: ENGINES.only(['converge']), antiEntropyMs: 0 });

describe('presence over the relay', () => {
  it('reaches the peer, is hidden by a cut link, and comes back when it heals', async () => {
    const room = 'presence-room';
    const a = await open(room, 'a');
    const b = await open(room, 'b');
    try {
      await waitFor(() => a.peers().includes('b') && b.peers().includes('a'), 'a and b are linked');
      a.setPresence({
        name: 'Ann',
        colour: '#112233',
        panel: 'compare',
        caret: { field: 'text', anchor: 1, head: 2 },
      });
      await waitFor(() => b.presence()[0]?.name === 'Ann', 'b sees Ann');
      relay.applyLinks(room, { op: 'cut', from: 'a', to: 'b' });
      await waitFor(() => b.presence()[0]?.status === 'cut-off', 'b lists a as cut off');
      a.setPresence({ name: 'Ann B.', colour: '#112233', panel: 'compare', caret: null });
      await new Promise((resolve) => setTimeout(resolve, 100));
      expect(b.presence()[0]?.name).toBe('Ann'); // the cut link carried nothing
      relay.applyLinks(room, { op: 'heal-all' });
      await waitFor(
        () => b.presence()[0]?.name === 'Ann B.' && b.presence()[0]?.status === 'here',
        'b sees the new state',
      );
      await a.close();
      await waitFor(() => b.presence()[0]?.status === 'offline', 'b lists a as offline');
    } finally {
      await a.close();
      await b.close();
    }
  });
});
