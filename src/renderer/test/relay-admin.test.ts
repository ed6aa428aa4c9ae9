import { describe, expect, it } from 'vitest';
import { AdminError, type AdminEvent, type EventSourceLike, RelayAdmin } from '../logic/relay-admin.ts';

const ROOM = {
  id: 'r',
  nodes: [{ id: 'a', role: 'replica', remote: '127.0.0.1:1', joinedAt: 1, reachable: [], bufferedBytes: 0 }],
  cut: [],
  chaos: { room: null, links: [] },
  delayedFrames: 0,
  delayedBytes: 0,
  unknownRecipient: 0,
};

function fakeFetch(handler: (url: string, init?: RequestInit) => Response | Promise<Response>) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fetch = async (url: string, init?: RequestInit): Promise<Response> => {
    calls.push({ url, ...(init !== undefined ? { init } : {}) });
    return handler(url, init);
  };
  return { fetch, calls };
}

const json = (status: number, body: unknown): Response =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

describe('RelayAdmin', () => {
  it('reads a room and treats 404 as "no such room yet"', async () => {
    const { fetch, calls } = fakeFetch((url) =>
      url.endsWith('/rooms/r') ? json(200, ROOM) : json(404, { error: 'no room x' }),
    );
    const admin = new RelayAdmin({ baseUrl: 'http://127.0.0.1:9/', fetch });
    expect((await admin.room('r'))?.nodes[0]?.id).toBe('a');
    expect(await admin.room('x')).toBeUndefined();
    expect(calls[0]?.url).toBe('http://127.0.0.1:9/rooms/r');
  });

  it('posts link operations and puts chaos as JSON with the token', async () => {
    const { fetch, calls } = fakeFetch((url) =>
      url.includes('/links')
        ? json(200, { cut: [{ from: 'a', to: 'b' }], healed: [], room: ROOM })
        : json(200, { room: null, links: [] }),
    );
    const admin = new RelayAdmin({ baseUrl: 'http://h', token: 't0k', fetch });
    expect(await admin.links('r', { op: 'cut', from: 'a', to: 'b' })).toEqual({
      cut: [{ from: 'a', to: 'b' }],
      healed: [],
    });
    await admin.setChaos('r', { dropRate: 0.5 });
    await admin.setChaos('r', null, { from: 'a', to: 'b' });
    expect(calls.map((c) => [c.url, c.init?.method])).toEqual([
      ['http://h/rooms/r/links', 'POST'],
      ['http://h/rooms/r/chaos', 'PUT'],
      ['http://h/rooms/r/chaos/a/b', 'PUT'],
    ]);
    expect(JSON.parse(String(calls[1]?.init?.body))).toEqual({ config: { dropRate: 0.5 } });
    expect(new Headers(calls[0]?.init?.headers).get('authorization')).toBe('Bearer t0k');
  });

  it('turns refusals, unreachable relays and malformed answers into AdminErrors', async () => {
    const refuse = new RelayAdmin({
      baseUrl: 'http://h',
      fetch: fakeFetch(() => json(400, { error: 'node id bad' })).fetch,
    });
    await expect(refuse.links('r', { op: 'heal-all' })).rejects.toThrow('node id bad');
    const down = new RelayAdmin({
      baseUrl: 'http://h',
      fetch: async () => {
        throw new TypeError('fetch failed');
      },
    });
    await expect(down.room('r')).rejects.toThrow(/unreachable.*fetch failed/);
    const garbage = new RelayAdmin({
      baseUrl: 'http://h',
      fetch: fakeFetch(() => json(200, { id: 3 })).fetch,
    });
    await expect(garbage.room('r')).rejects.toBeInstanceOf(AdminError);
    const notJson = new RelayAdmin({
      baseUrl: 'http://h',
      fetch: fakeFetch(() => new Response('<html>', { status: 502 })).fetch,
    });
    await expect(notJson.room('r')).rejects.toThrow(/not JSON/);
  });

  it('follows the event stream, ignoring malformed events', async () => {
    const listeners = new Map<string, (event: { data?: unknown }) => void>();
    let url = '';
    let closed = false;
    const source: EventSourceLike = {
      addEventListener: (type, listener) => listeners.set(type, listener),
      onerror: null,
      onopen: null,
      close: () => {
        closed = true;
      },
    };
    const admin = new RelayAdmin({
      baseUrl: 'http://h',
      token: 's e',
      fetch: fakeFetch(() => json(200, {})).fetch,
      eventSource: (u) => {
        url = u;
        return source;
      },
    });
    const events: AdminEvent[] = [];
    const states: boolean[] = [];
    const stop = admin.subscribe(
      (e) => events.push(e),
      (s) => states.push(s),
    );
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(url).toBe('http://h/events?token=s%20e');
    source.onopen?.({});
    listeners.get('join')?.({ data: JSON.stringify({ type: 'join', room: 'r', node: 'a', at: 1 }) });
    listeners.get('cut')?.({ data: '{not json' });
    listeners.get('traffic')?.({ data: JSON.stringify({ room: 'r', links: [{ bad: true }] }) });
    listeners.get('traffic')?.({
      data: JSON.stringify({
        room: 'r',
        links: [
          {
            from: 'a',
            to: 'b',
            channels: { '1': { frames: 1, bytes: 2 } },
            dropped: { cut: 0 },
            duplicated: 0,
          },
        ],
      }),
    });
    source.onerror?.({});
    stop();
    expect(events.map((e) => e.type)).toEqual(['room-changed', 'traffic']);
    expect(states).toEqual([true, false]);
    expect(closed).toBe(true);
  });
});

describe('RelayAdmin with a credential provider', () => {
  it('asks for the credential per request and explains when there is none yet', async () => {
    let credential: string | undefined;
    const { fetch, calls } = fakeFetch(() => json(200, { rooms: [ROOM] }));
    const admin = new RelayAdmin({
      baseUrl: 'http://h',
      fetch,
      token: async () => {
        if (credential === undefined) throw new Error('the relay is unreachable');
        return credential;
      },
    });
    await expect(admin.rooms()).rejects.toThrow(/no credential for the relay yet: the relay is unreachable/);
    expect(calls).toEqual([]);
    credential = 'jwt';
    expect(await admin.rooms()).toHaveLength(1);
    expect(calls[0]?.init?.headers).toMatchObject({ authorization: 'Bearer jwt' });
  });
});

describe('RelayAdmin.findRoom', () => {
  it('looks the room up in the room list (no 404 for a room nobody joined yet)', async () => {
    const { fetch, calls } = fakeFetch(() => json(200, { rooms: [ROOM] }));
    const admin = new RelayAdmin({ baseUrl: 'http://h', fetch });
    expect((await admin.findRoom('r'))?.id).toBe('r');
    expect(await admin.findRoom('nope')).toBeUndefined();
    expect(calls.map((c) => c.url)).toEqual(['http://h/rooms', 'http://h/rooms']);
  });
});
