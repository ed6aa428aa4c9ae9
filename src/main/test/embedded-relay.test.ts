/** The app shell against the real relay from @converge/sync-server (loopback, free ports). */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RelayTransport } from '@converge/replica';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startMainServices } from '../main-services.ts';
import { APP_ORIGIN } from '../security.ts';
import { startWebMode } from '../web-mode.ts';

/** Whether the relay accepts a WebSocket upgrade from a page of this origin. */
function upgradeAccepted(url: string, origin: string): Promise<boolean> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { headers: { Origin: origin } });
    ws.on('open', () => {
      ws.close();
      resolve(true);
    });
    ws.on('unexpected-response', (_req, res) => {
      res.resume();
      resolve(false);
    });
    ws.on('error', () => resolve(false));
  });
}

const quietLog = { info: () => {}, warn: () => {}, error: () => {} };

/** What a page of web mode does for its credential: POST /credentials with the launch key of `pageUrl`. */
async function tabCredential(pageUrl: string, replica: string): Promise<string> {
  const answer = await fetch(new URL('/credentials', pageUrl), {
    method: 'POST',
    headers: {
      origin: new URL(pageUrl).origin,
      authorization: `Bearer ${new URL(pageUrl).hash.slice('#key='.length)}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ replica }),
  });
  return ((await answer.json()) as { token: string }).token;
}

describe('with the real relay', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-real-relay-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('the app starts it on loopback, and it admits the app origin and refuses foreign pages', async () => {
    const { startEmbeddedRelay } = await import('../embedded-relay.ts');
    const services = await startMainServices({
      userData: join(dir, 'app'),
      argv: [],
      startRelay: startEmbeddedRelay,
      randomBytes: (n) => new Uint8Array(n).fill(7),
      log: quietLog,
    });
    try {
      expect(services.relay.relayUrl).toMatch(/^ws:\/\/127\.0\.0\.1:[1-9]\d*/);
      const health = await fetch(new URL('/healthz', services.relay.adminUrl));
      expect(health.status).toBe(200);
      expect(await upgradeAccepted(services.relay.relayUrl, APP_ORIGIN)).toBe(true);
      expect(await upgradeAccepted(services.relay.relayUrl, 'https://evil.example')).toBe(false);
      // Loopback is no pass: the admin API wants a credential, and a window's own one works for its room.
      const rooms = new URL('/rooms', services.relay.adminUrl);
      expect((await fetch(rooms)).status).toBe(401);
      const { token } = await services.windowConfig(services.initialWindows[0]!.replicaId);
      expect((await fetch(rooms, { headers: { authorization: `Bearer ${token}` } })).status).toBe(200);
      const stats = new URL('/stats', services.relay.adminUrl);
      expect((await fetch(stats, { headers: { authorization: `Bearer ${token}` } })).status).toBe(403);
    } finally {
      await services.shutdown();
    }
    await expect(fetch(new URL('/healthz', services.relay.adminUrl))).rejects.toThrow();
  });

  it('web mode starts it by default and the page origin may connect', async () => {
    const webRoot = join(dir, 'web');
    await mkdir(webRoot, { recursive: true });
    await writeFile(join(webRoot, 'index.html'), '<!doctype html>');
    const web = await startWebMode({ port: 0, dataDir: join(dir, 'relay'), webRoot });
    try {
      const origin = new URL(web.url).origin;
      const config = (await (await fetch(new URL('/config.json', web.url))).json()) as { relayUrl: string };
      expect(config.relayUrl).toBe(`${origin.replace('http:', 'ws:')}/relay`);
      expect(config.relayUrl).toBe(web.relayUrl);
      expect(await upgradeAccepted(web.relayUrl, origin)).toBe(true);
      expect(await upgradeAccepted(web.relayUrl, 'https://evil.example')).toBe(false);
      expect((await fetch(`${web.adminUrl}/healthz`)).status).toBe(200);
      // A tab's credential, as the page gets it, is one the real relay honours for the room.
      const token = await tabCredential(web.url, 'r-page');
      const links = `${web.adminUrl}/rooms/default/links`;
      expect((await fetch(links, { method: 'POST' })).status).toBe(401);
      const cut = await fetch(links, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ op: 'heal-all' }),
      });
      expect(cut.status).toBe(200);
    } finally {
      await web.close();
    }
  });

  it('web mode restarted on the same port and folder takes back a connected tab by itself', async () => {
    const webRoot = join(dir, 'web-restart');
    await mkdir(webRoot, { recursive: true });
    await writeFile(join(webRoot, 'index.html'), '<!doctype html>');
    const dataDir = join(dir, 'restart-data');
    let web = await startWebMode({ port: 0, dataDir, webRoot, room: 'lab' });
    const port = Number(new URL(web.url).port);
    try {
      // What a tab does: ask for a credential with the launch key, then connect to the config's relay.
      const config = (await (await fetch(new URL('/config.json', web.url))).json()) as { relayUrl: string };
      const token = await tabCredential(web.url, 'r-tab');
      const states: string[] = [];
      const tab = new RelayTransport({
        url: config.relayUrl,
        room: 'lab',
        nodeId: 'r-tab',
        token,
        WebSocket: WebSocket as never,
        backoff: { initialMs: 50, maxMs: 200 },
      });
      tab.start({ linkUp: () => {}, linkDown: () => {}, message: () => {}, state: (s) => states.push(s) });
      try {
        await until(() => tab.state() === 'online');
        await web.close();
        await until(() => tab.state() === 'connecting');
        web = await startWebMode({ port, dataDir, webRoot, room: 'lab' });
        // Same URL, same credential: the tab is back without asking for anything.
        await until(() => tab.state() === 'online');
        expect(states.filter((s) => s === 'online')).toHaveLength(2);
      } finally {
        tab.close();
      }
    } finally {
      await web.close();
    }
  }, 20_000);
});

async function until(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
