// The admin HTTP API: health, rooms, links, chaos, the event stream, auth and CORS.
import { afterEach, describe, expect, it } from 'vitest';
import type { Relay, RelayEvent } from '../src/index.ts';
import {
  adminRequest,
  closeRelaysAfterEach,
  openEventStream,
  RawClient,
  type Reply,
  type RequestOptions,
  reachableSeen,
  startRelay,
  text,
  waitFor,
} from './support.ts';

let relay: Relay | undefined;
const cleanups: (() => void)[] = [];

closeRelaysAfterEach();
afterEach(() => {
  for (const cleanup of cleanups.splice(0)) cleanup();
});

/** An admin request with the admin token unless `headers.authorization` says otherwise. */
const request = (method: string, path: string, options: RequestOptions = {}): Promise<Reply> =>
  adminRequest(relay!, method, path, options);

const eventStream = (path = `/events?token=${relay!.adminToken}`) => openEventStream(relay!, path, cleanups);

describe('admin API', () => {
  it('serves health, rooms and stats', async () => {
    ({ relay } = await startRelay());
    const health = await request('GET', '/healthz');
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ ok: true, rooms: 0, connections: 0 });
    await RawClient.join(relay, 'lab', 'a');
    await RawClient.join(relay, 'lab', 'b');
    const rooms = await request('GET', '/rooms');
    expect(rooms.body).toMatchObject({
      rooms: [
        {
          id: 'lab',
          nodes: [
            { id: 'a', reachable: ['b'] },
            { id: 'b', reachable: ['a'] },
          ],
          cut: [],
        },
      ],
    });
    expect((await request('GET', '/rooms/lab')).body).toMatchObject({ id: 'lab' });
    expect((await request('GET', '/rooms/nope')).status).toBe(404);
    expect((await request('GET', '/rooms/bad%20id')).status).toBe(400);
    expect((await request('GET', '/nothing')).status).toBe(404);
    expect((await request('DELETE', '/rooms')).status).toBe(405);
    const stats = await request('GET', '/stats');
    expect(stats.body).toMatchObject({ rooms: 1, nodes: 2, connections: 2, violations: { 'bad-frame': 0 } });
  });

  it('changes links and chaos, with validation', async () => {
    ({ relay } = await startRelay());
    const a = await RawClient.join(relay, 'lab', 'a');
    const b = await RawClient.join(relay, 'lab', 'b');
    const cut = await request('POST', '/rooms/lab/links', { body: { op: 'isolate', node: 'a' } });
    expect(cut.status).toBe(200);
    expect(cut.body).toMatchObject({
      cut: [
        { from: 'a', to: 'b' },
        { from: 'b', to: 'a' },
      ],
      healed: [],
    });
    await waitFor(() => reachableSeen(a).size === 0 && reachableSeen(b).size === 0, 'isolated');
    expect((await request('GET', '/rooms/lab/links')).body).toMatchObject({
      nodes: [
        { id: 'a', reachable: [] },
        { id: 'b', reachable: [] },
      ],
    });
    const split = await request('POST', '/rooms/lab/links', { body: { op: 'split', groups: [['a']] } });
    expect(split.status).toBe(400);
    expect(split.body).toEqual({ error: 'split needs at least two groups' });
    const placed = await request('POST', '/rooms/lab/links', {
      body: { op: 'split', groups: [['a'], ['b']], storage: 'with-b' },
    });
    expect(placed.status).toBe(200);
    expect((await request('GET', '/rooms/lab/links')).body).toMatchObject({
      cut: expect.arrayContaining([
        { from: 'a', to: 'storage' },
        { from: 'storage', to: 'a' },
      ]),
    });
    const misplaced = await request('POST', '/rooms/lab/links', {
      body: { op: 'split', groups: [['a'], ['b']], storage: 'under-the-desk' },
    });
    expect(misplaced.status).toBe(400);
    expect(misplaced.body).toEqual({
      error: expect.stringMatching(/^storage must be "alone", "everywhere"/),
    });
    expect((await request('POST', '/rooms/lab/links', { body: { op: 'shred' } })).status).toBe(400);
    expect((await request('POST', '/rooms/lab/links', { rawBody: '{"op":' })).status).toBe(400);
    expect(
      (
        await request('POST', '/rooms/lab/links', {
          rawBody: '{}',
          headers: { 'content-type': 'text/plain' },
        })
      ).status,
    ).toBe(415);
    expect((await request('POST', '/rooms/lab/links', { rawBody: `"${'x'.repeat(70_000)}"` })).status).toBe(
      413,
    );
    await request('POST', '/rooms/lab/links', { body: { op: 'heal-all' } });
    await waitFor(() => reachableSeen(a).has('b'), 'healed');

    const chaos = await request('PUT', '/rooms/lab/chaos', { body: { config: { dropRate: 0.5, seed: 7 } } });
    expect(chaos.status).toBe(200);
    expect(chaos.body).toMatchObject({ room: { dropRate: 0.5, seed: 7, delayMs: 0 }, links: [] });
    const link = await request('PUT', '/rooms/lab/chaos/a/b', { body: { config: { delayMs: 20 } } });
    expect(link.body).toMatchObject({ links: [{ from: 'a', to: 'b', config: { delayMs: 20 } }] });
    expect((await request('PUT', '/rooms/lab/chaos', { body: { config: { dropRate: 2 } } })).status).toBe(
      400,
    );
    expect((await request('PUT', '/rooms/lab/chaos', { body: { dropRate: 0.1 } })).status).toBe(400);
    expect((await request('PUT', '/rooms/lab/chaos/a/a', { body: { config: null } })).status).toBe(400);
    await request('PUT', '/rooms/lab/chaos', { body: { config: null } });
    await request('PUT', '/rooms/lab/chaos/a/b', { body: { config: null } });
    expect((await request('GET', '/rooms/lab/chaos')).body).toEqual({ room: null, links: [] });
    // Rooms can be prepared before anyone joins.
    expect((await request('PUT', '/rooms/later/chaos', { body: { config: { delayMs: 5 } } })).status).toBe(
      200,
    );
    expect(relay.room('later')?.chaos.room?.delayMs).toBe(5);
  });

  it('streams joins, leaves, cuts, heals, chaos and traffic per channel per link', async () => {
    ({ relay } = await startRelay({ trafficIntervalMs: 20 }));
    const stream = eventStream();
    expect(await stream.status).toBe(200);
    await waitFor(() => stream.events.some((e) => e.type === 'snapshot'), 'snapshot');
    const a = await RawClient.join(relay, 'lab', 'a');
    const b = await RawClient.join(relay, 'lab', 'b');
    a.data('a', 'b', 1, text('12345'));
    a.data('a', 'b', 1, text('678'));
    a.data('a', null, 3, text('x'));
    relay.applyLinks('lab', { op: 'cut', from: 'b', to: 'a' });
    relay.applyLinks('lab', { op: 'heal-all' });
    await b.close();
    const types = () => stream.events.map((e) => e.type);
    await waitFor(() => types().includes('leave') && types().includes('traffic'), 'events');
    expect(types()).toEqual(
      expect.arrayContaining(['snapshot', 'room-created', 'join', 'cut', 'heal', 'leave', 'traffic']),
    );
    const traffic = stream.events.filter((e) => e.type === 'traffic').map((e) => e.data as RelayEvent);
    const last = traffic.at(-1);
    const ab = last?.type === 'traffic' ? last.links.find((l) => l.from === 'a' && l.to === 'b') : undefined;
    expect(ab?.channels[1]?.frames).toBe(2);
    expect(ab?.channels[1]?.bytes).toBeGreaterThan(8);
    expect(ab?.channels[3]?.frames).toBe(1);
    expect(stream.events.find((e) => e.type === 'cut')?.data).toMatchObject({
      room: 'lab',
      from: 'b',
      to: 'a',
    });
  });

  it('requires the admin token or a room admin credential (not for healthz)', async () => {
    ({ relay } = await startRelay());
    const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });
    expect((await request('GET', '/healthz', bearer('nope'))).status).toBe(200);
    expect((await request('GET', '/rooms', { headers: { authorization: '' } })).status).toBe(401);
    expect((await request('GET', '/rooms', bearer('nope'))).status).toBe(401);
    expect((await request('GET', '/rooms')).status).toBe(200);
    expect(await eventStream('/events').status).toBe(401);
    expect(await eventStream(`/events?token=${relay.adminToken}`).status).toBe(200);
    expect(relay.stats().violations['admin-unauthorized']).toBe(3);
  });

  it('allows localhost origins (CORS) and refuses others', async () => {
    ({ relay } = await startRelay({ allowedOrigins: ['app://converge'] }));
    const local = await request('GET', '/rooms', { headers: { origin: 'http://localhost:5173' } });
    expect(local.status).toBe(200);
    expect(local.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    const preflight = await request('OPTIONS', '/rooms/lab/links', {
      headers: { origin: 'http://127.0.0.1:3000', 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers['access-control-allow-methods']).toContain('POST');
    expect((await request('GET', '/rooms', { headers: { origin: 'app://converge' } })).status).toBe(200);
    const evil = await request('POST', '/rooms/lab/links', {
      body: { op: 'heal-all' },
      headers: { origin: 'https://evil.example' },
    });
    expect(evil.status).toBe(403);
    expect(evil.headers['access-control-allow-origin']).toBeUndefined();
    expect(relay.room('lab')).toBeUndefined();
  });
});
