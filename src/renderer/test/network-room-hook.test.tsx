// @vitest-environment happy-dom
/** The window's frame follows the relay's room, not the traffic counters that change while anyone types. */
import { VirtualClock } from '@converge/protocol';
import { act } from 'react';
import { createRoot } from 'react-dom/client';
import { describe, expect, it } from 'vitest';
import { useNetworkRoom } from '../hooks.ts';
import { NetworkStore } from '../logic/network-store.ts';
import { fakeRelay, LINK_TRAFFIC } from './fake-relay.ts';

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

const renders = { count: 0 };
let shown: string | undefined;

/** The window's frame as far as the network goes: it shows the room's cuts. */
function Frame({ store }: { store: NetworkStore }) {
  renders.count++;
  const room = useNetworkRoom(store);
  shown = room === undefined ? 'loading' : room === null ? 'none' : `${room.cut.length} cut`;
  return null;
}

describe('useNetworkRoom', () => {
  it('renders again when the room changes, not when traffic is reported', async () => {
    (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;
    const relay = fakeRelay();
    const clock = new VirtualClock();
    const store = new NetworkStore({ admin: relay.admin, room: 'r', timers: clock });
    const root = createRoot(document.createElement('div'));
    act(() => root.render(<Frame store={store} />));
    await act(async () => {
      store.start();
      await settle();
    });
    expect(shown).toBe('0 cut');
    const before = renders.count;
    act(() => {
      relay.emit('traffic', { room: 'r', links: [LINK_TRAFFIC] });
      relay.emit('traffic', { room: 'r', links: [LINK_TRAFFIC] });
    });
    expect(store.getSnapshot().traffic.size).toBe(1);
    expect(renders.count).toBe(before);

    relay.setCut([{ from: 'a', to: 'b' }]);
    await act(async () => {
      relay.source.onopen?.({});
      relay.emit('join', { room: 'r', node: 'c' });
      clock.advance(100);
      await settle();
    });
    expect(shown).toBe('1 cut');
    expect(renders.count).toBe(before + 1);
    act(() => root.unmount());
    store.stop();
  });
});
