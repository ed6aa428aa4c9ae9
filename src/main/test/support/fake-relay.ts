/**
 * A stand-in for the relay in tests that are about the app shell, not the relay: it listens on a
 * real loopback port (so URLs are real), records how it was started and closed, and hands out
 * credentials in process (`mintCredential`) and over HTTP (POST /rooms/ROOM/credentials, with the
 * admin token it was started with), as a remote relay does.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AttachRelay, AttachRelayOptions, RelayOptions, StartRelay } from '../../relay-host.ts';

export interface FakeRelayLog {
  readonly started: RelayOptions[];
  /** Every credential handed out: room, replica and rights asked for. */
  readonly minted: { room: string; replica: string; rights: string[] }[];
  closed: number;
}

export function fakeRelay(): { startRelay: StartRelay; log: FakeRelayLog } {
  const log: FakeRelayLog = { started: [], minted: [], closed: 0 };
  const mint = (room: string, replica: string, rights: readonly string[]) => {
    log.minted.push({ room, replica, rights: [...rights] });
    return { token: `credential-${log.minted.length}-${replica}` };
  };
  const startRelay: StartRelay = async (options) => {
    log.started.push(options);
    const server = createServer((req, res) => {
      const room = /^\/rooms\/([^/]+)\/credentials$/.exec(req.url ?? '')?.[1];
      if (req.method !== 'POST' || room === undefined) {
        res.end('fake relay');
        return;
      }
      if (req.headers.authorization !== `Bearer ${options.adminToken}`) {
        res.writeHead(401).end(JSON.stringify({ error: 'missing or wrong credential' }));
        return;
      }
      let body = '';
      req.on('data', (chunk: Buffer) => {
        body += chunk.toString('utf8');
      });
      req.on('end', () => {
        const { replica, rights } = JSON.parse(body) as { replica: string; rights: string[] };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(mint(decodeURIComponent(room), replica, rights)));
      });
    });
    await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `ws://${options.host}:${port}`,
      adminUrl: `http://${options.host}:${port}`,
      mintCredential: async ({ room, replica, rights }) => mint(room, replica, rights),
      close: async () => {
        log.closed++;
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  };
  return { startRelay, log };
}

export interface FakeAttachedRelayLog {
  readonly attached: AttachRelayOptions[];
  /** The admin API paths it was handed (as the host server passed them, mount prefix included). */
  readonly requests: string[];
  readonly minted: { room: string; replica: string; rights: string[] }[];
  closed: number;
}

/** The same stand-in for web mode's attached relay: it answers what it is handed, and records it. */
export function fakeAttachedRelay(): { attachRelay: AttachRelay; log: FakeAttachedRelayLog } {
  const log: FakeAttachedRelayLog = { attached: [], requests: [], minted: [], closed: 0 };
  const attachRelay: AttachRelay = async (options) => {
    log.attached.push(options);
    const { host, port, relayPath, adminPath } = options.mount;
    return {
      url: `ws://${host}:${port}${relayPath}`,
      adminUrl: `http://${host}:${port}${adminPath}`,
      mintCredential: async ({ room, replica, rights }) => {
        log.minted.push({ room, replica, rights: [...rights] });
        return { token: `credential-${log.minted.length}-${replica}` };
      },
      handleRequest: (req, res) => {
        log.requests.push(req.url ?? '');
        res.writeHead(200, { 'content-type': 'application/json' }).end('{"fake":"relay"}');
      },
      handleUpgrade: (_req, socket) => {
        socket.end('HTTP/1.1 418 Fake\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      },
      close: async () => {
        log.closed++;
      },
    };
  };
  return { attachRelay, log };
}
