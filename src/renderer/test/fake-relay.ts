/**
 * A relay's admin API as a window's network store sees it: the room (nodes a and b, its cut links),
 * link operations, traffic, and the event stream's events, which the test emits.
 */
import { type EventSourceLike, RelayAdmin } from '../logic/relay-admin.ts';

const roomOf = (cut: { from: string; to: string }[]) => ({
  id: 'r',
  nodes: [
    { id: 'a', role: 'replica', reachable: [] },
    { id: 'b', role: 'replica', reachable: [] },
  ],
  cut,
  chaos: { room: null, links: [] },
});

/** What the relay's 'traffic' event reports of link a → b after a few frames. */
export const LINK_TRAFFIC = {
  from: 'a',
  to: 'b',
  channels: { '1': { frames: 3, bytes: 30 } },
  dropped: { cut: 0 },
  duplicated: 0,
};

export function fakeRelay() {
  let cut: { from: string; to: string }[] = [];
  let failing = false;
  const listeners = new Map<string, (event: { data?: unknown }) => void>();
  const source: EventSourceLike = {
    addEventListener: (type, listener) => listeners.set(type, listener),
    onopen: null,
    onerror: null,
    close: () => {},
  };
  const requests: string[] = [];
  const admin = new RelayAdmin({
    baseUrl: 'http://relay',
    eventSource: () => source,
    fetch: async (url, init) => {
      requests.push(`${init?.method ?? 'GET'} ${url.replace('http://relay', '')}`);
      if (failing) throw new TypeError('connection refused');
      if (url.endsWith('/links')) {
        const op = JSON.parse(String(init?.body));
        if (op.from !== undefined && op.from === op.to) {
          return Response.json({ error: 'a link joins two different nodes' }, { status: 400 });
        }
        if (op.op === 'cut') cut = [...cut, { from: op.from, to: op.to }];
        else if (op.op === 'heal-all') cut = [];
        else return Response.json({ error: 'unknown op' }, { status: 400 });
        return Response.json({ cut: [], healed: [] });
      }
      if (url.endsWith('/traffic')) return Response.json({ links: [] });
      return Response.json({ rooms: [roomOf(cut)] });
    },
  });
  return {
    admin,
    requests,
    source,
    emit: (type: string, data: unknown) => listeners.get(type)?.({ data: JSON.stringify(data) }),
    fail: (value: boolean) => {
      failing = value;
    },
    /** The room's cut links from now on, as the relay reports them (the next refetch sees them). */
    setCut: (links: { from: string; to: string }[]) => {
      cut = links;
    },
  };
}
