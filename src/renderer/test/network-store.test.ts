import { VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { NetworkStore } from '../logic/network-store.ts';
import { fakeRelay, LINK_TRAFFIC } from './fake-relay.ts';

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('NetworkStore', () => {
  it('loads the room, applies link operations and refetches after relay events', async () => {
    const relay = fakeRelay();
    const clock = new VirtualClock();
    const store = new NetworkStore({ admin: relay.admin, room: 'r', timers: clock });
    store.start();
    await settle();
    expect(store.getSnapshot().room?.cut).toEqual([]);
    expect(await store.links({ op: 'cut', from: 'a', to: 'b' })).toBe(true);
    expect(store.getSnapshot().room?.cut).toEqual([{ from: 'a', to: 'b' }]);
    expect(await store.links({ op: 'cut', from: 'a', to: 'a' })).toBe(false);
    expect(store.getSnapshot().error).toContain('two different nodes');
    expect(store.getSnapshot().busy).toBe(false);

    const before = relay.requests.length;
    relay.source.onopen?.({});
    relay.emit('join', { room: 'r', node: 'c' });
    relay.emit('join', { room: 'other', node: 'x' });
    clock.advance(100);
    await settle();
    // One coalesced refetch (room list + traffic) for the burst.
    expect(relay.requests.slice(before)).toEqual(['GET /rooms', 'GET /rooms/r/traffic']);
    store.stop();
  });

  it('keeps traffic per link from the stream and polls while the stream is down', async () => {
    const relay = fakeRelay();
    const clock = new VirtualClock();
    const store = new NetworkStore({ admin: relay.admin, room: 'r', timers: clock, pollMs: 1000 });
    store.start();
    await settle();
    relay.emit('traffic', { room: 'r', links: [LINK_TRAFFIC] });
    relay.emit('traffic', {
      room: 'r',
      links: [{ ...LINK_TRAFFIC, channels: { '1': { frames: 5, bytes: 50 } } }],
    });
    expect(store.getSnapshot().traffic.get('a b')?.channels['1']).toEqual({ frames: 5, bytes: 50 });
    relay.fail(true);
    clock.advance(1000);
    await settle();
    expect(store.getSnapshot().error).toMatch(/unreachable/);
    relay.fail(false);
    clock.advance(1000);
    await settle();
    expect(store.getSnapshot().error).toBeUndefined();
    store.stop();
    expect(clock.pending()).toBe(0);
  });

  it('keeps the room object while the relay reports the same room, and traffic leaves it alone', async () => {
    const relay = fakeRelay();
    const clock = new VirtualClock();
    const store = new NetworkStore({ admin: relay.admin, room: 'r', timers: clock });
    store.start();
    await settle();
    const first = store.getSnapshot().room;
    expect(first?.cut).toEqual([]);
    relay.source.onopen?.({});
    relay.emit('join', { room: 'r', node: 'c' });
    clock.advance(100);
    await settle();
    // Refetched, equal: the same object (the window's frame selects it and renders only when it changes).
    expect(store.getSnapshot().room).toBe(first);
    relay.emit('traffic', { room: 'r', links: [] });
    expect(store.getSnapshot().room).toBe(first);
    expect(await store.links({ op: 'cut', from: 'a', to: 'b' })).toBe(true);
    expect(store.getSnapshot().room).not.toBe(first);
    expect(store.getSnapshot().room?.cut).toEqual([{ from: 'a', to: 'b' }]);
    store.stop();
  });
});
