// Converge's own Yjs engine syncing through a stock @y/websocket-server (for people who already run
// one): two headless replicas on YWebsocketTransport converge through it, and a stock y-websocket app in
// the same server room sees the engine's text.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ENGINES, MemoryStore, Replica, YWebsocketTransport } from '@converge/replica';
import { setupWSConnection } from '@y/websocket-server/utils';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { WebsocketProvider } from 'y-websocket';
import * as Y from 'yjs';
import { cleanupsAfterEach, waitFor } from './support.ts';

const cleanups = cleanupsAfterEach();

async function stockServer(): Promise<{ url: string; dropAll(): void }> {
  const wss = new WebSocketServer({ noServer: true });
  wss.on('connection', setupWSConnection);
  const server: Server = createServer((_req, res) => res.end('okay'));
  server.on('upgrade', (req, socket, head) =>
    wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req)),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        server.close(() => resolve());
      }),
  );
  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    dropAll: () => {
      for (const client of wss.clients) client.terminate();
    },
  };
}

const yjsOnly = ENGINES.only(['yjs']);

// @y/websocket-server keeps its documents in one module-wide map by room name: each test has its own room.
async function replicaOn(url: string, id: string, room: string): Promise<Replica> {
  const replica = await Replica.open({
    id,
    transport: new YWebsocketTransport({
      url,
      room,
      nodeId: id,
      channel: yjsOnly.get('yjs').wireCode,
      WebSocket: WebSocket as never,
      backoff: { initialMs: 20, maxMs: 200 },
    }),
    store: new MemoryStore(),
    engines: yjsOnly,
    antiEntropyMs: 200,
  });
  cleanups.push(() => replica.close());
  return replica;
}

describe('YWebsocketTransport', () => {
  it("syncs replicas' Yjs engines through a stock @y/websocket-server", async () => {
    const { url } = await stockServer();
    const alice = await replicaOn(url, 'alice', 'first');
    const bob = await replicaOn(url, 'bob', 'first');
    await alice.apply({ op: 'text.insert', pos: 0, text: 'through a stock server' });
    await bob.apply({ op: 'cart.add', product: 'apple', qty: 2 });
    const same = (v: ReturnType<Replica['view']>) =>
      v.text === 'through a stock server' && v.cart.apple === 2;
    await waitFor(() => same(alice.view('yjs')) && same(bob.view('yjs')), 'both replicas converged', 10_000);

    const doc = new Y.Doc();
    const provider = new WebsocketProvider(url, 'first', doc, {
      WebSocketPolyfill: WebSocket as never,
      disableBc: true,
    });
    cleanups.push(() => provider.destroy());
    await waitFor(
      () => doc.getText('text').toString() === 'through a stock server',
      'a stock app sees the text',
    );
  });

  it('reconnects and resyncs after the server drops its connections', async () => {
    const server = await stockServer();
    const alice = await replicaOn(server.url, 'alice', 'second');
    const bob = await replicaOn(server.url, 'bob', 'second');
    await alice.apply({ op: 'text.insert', pos: 0, text: 'a' });
    await waitFor(() => bob.view('yjs').text === 'a', 'first edit');
    expect(alice.peers()).toEqual(['y-websocket-server']);
    server.dropAll();
    await waitFor(() => alice.connection() !== 'online', 'alice notices');
    await alice.apply({ op: 'text.insert', pos: 1, text: 'b' });
    await waitFor(() => bob.view('yjs').text === 'ab', 'the edit made while disconnected', 10_000);
  });
});
