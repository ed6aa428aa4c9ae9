// A relay served through another HTTP server (attachRelay), as web mode mounts it on the page's port.
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type AttachedRelay, attachRelay } from '../src/index.ts';
import { RawClient } from './support.ts';

let host: Server | undefined;
let relay: AttachedRelay | undefined;
afterEach(async () => {
  await relay?.close();
  host?.closeAllConnections();
  await new Promise<void>((resolve) => (host ? host.close(() => resolve()) : resolve()));
  host = relay = undefined;
});

/** A host server that answers its own page and hands /relay and /api/… to the relay. */
async function hostWithRelay(): Promise<{ base: string; relay: AttachedRelay }> {
  let attached: AttachedRelay | undefined;
  const server = createServer((req, res) => {
    if (req.url === '/api' || req.url?.startsWith('/api/') || req.url?.startsWith('/api?')) {
      attached?.handleRequest(req, res);
    } else res.end('the page');
  });
  server.on('upgrade', (req, socket, head) => {
    if (req.url === '/relay') attached?.handleUpgrade(req, socket, head);
    else socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  attached = await attachRelay({
    logLevel: 'silent',
    adminToken: 'attached-admin-token',
    mount: { host: '127.0.0.1', port, relayPath: '/relay', adminPath: '/api' },
  });
  host = server;
  relay = attached;
  return { base: `http://127.0.0.1:${port}`, relay: attached };
}

describe('attached relay', () => {
  it('serves nodes at its path and its admin API under its prefix, on the host server port', async () => {
    const { base, relay } = await hostWithRelay();
    expect(relay.url).toBe(`${base.replace('http:', 'ws:')}/relay`);
    expect(relay.adminUrl).toBe(`${base}/api`);
    expect(await (await fetch(`${base}/`)).text()).toBe('the page');
    expect((await fetch(`${base}/api/healthz`)).status).toBe(200);
    expect((await fetch(`${base}/api/rooms`)).status).toBe(401);
    const admin = { authorization: 'Bearer attached-admin-token' };
    expect(await (await fetch(`${base}/api/rooms`, { headers: admin })).json()).toEqual({ rooms: [] });
    const a = await RawClient.join(relay, 'room', 'a');
    const b = await RawClient.join(relay, 'room', 'b');
    expect(a.of('welcome')).toHaveLength(1);
    expect(b.of('welcome')[0]).toMatchObject({ peers: [expect.objectContaining({ id: 'a' })] });
    const rooms = (await (await fetch(`${base}/api/rooms`, { headers: admin })).json()) as {
      rooms: { id: string }[];
    };
    expect(rooms.rooms.map((r) => r.id)).toEqual(['room']);
    await a.close();
    await b.close();
  });

  it('keeps its Host check, and closing it leaves the host server running', async () => {
    const { base, relay } = await hostWithRelay();
    const port = Number(new URL(base).port);
    // fetch cannot name another Host; a raw request can (a DNS-rebinding page does).
    const status = await new Promise<number>((resolve, reject) => {
      request(
        { host: '127.0.0.1', port, path: '/api/healthz', headers: { host: `evil.example:${port}` } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      )
        .on('error', reject)
        .end();
    });
    expect(status).toBe(421);
    const a = await RawClient.join(relay, 'room', 'a');
    await relay.close();
    expect((await a.waitClosed()).code).toBe(1001);
    expect(await (await fetch(`${base}/`)).text()).toBe('the page');
  });
});
