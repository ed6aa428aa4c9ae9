/**
 * Web mode: the same renderer in a plain browser. One Node process serves, on one loopback port, the
 * built renderer (out/web), /config.json, /credentials, the relay's WebSocket endpoint (/relay) and its
 * admin API (/api/...), every response with the app's strict CSP. Each browser tab is a replica (the
 * renderer keeps its id in ?replica= and its data in IndexedDB) and gets its own room credential (see
 * tab-credentials.ts).
 *
 * The relay lives on the page's own origin, and the launch key and the relay's admin token are kept
 * in the data folder (web-secrets.ts), so restarting `npm run web` on the same port and folder brings
 * the open tabs back by themselves: they reconnect to the same URL with credentials that still hold.
 *
 *   npm run web -- [--port 5173] [--data-dir data/web] [--room default] [--relay ws://… --admin-token T]
 *
 * `startWebMode` is exported so end-to-end tests can start it on free ports.
 */

import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import type { Duplex } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { realTimers } from '@converge/protocol';
import { HostPolicy, LOOPBACK_HOST_NAMES, PendingSockets } from '@converge/sync-server';
import { WINDOW_RIGHTS } from './credentials.ts';
import {
  type AttachedRunningRelay,
  type AttachRelay,
  LOOPBACK_HOST,
  type RelayEndpoint,
  remoteRelayEndpoint,
} from './relay-host.ts';
import { contentSecurityPolicy, securityHeaders } from './security.ts';
import { DEFAULT_ROOM, parseCliArgs } from './settings.ts';
import { resolveStaticFile } from './static-files.ts';
import { handleTabCredential } from './tab-credentials.ts';
import { loadWebSecrets } from './web-secrets.ts';

export const DEFAULT_WEB_PORT = 5173;
/** The built web renderer, relative to this file (src/main → out/web). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../out/web', import.meta.url));
/** Where the embedded relay is mounted on web mode's own port. */
export const RELAY_PATH = '/relay';
export const ADMIN_PATH = '/api';

/** What the renderer fetches at start in web mode (public: no credential in it). */
export interface WebConfig {
  readonly room: string;
  readonly relayUrl: string;
  readonly adminUrl: string;
}

/** Bounds on sockets that never finish their request headers (web mode has no credential-less work). */
const SOCKET_LIMITS = { headerTimeoutMs: 10_000, maxPendingSockets: 256 } as const;

export interface WebModeOptions {
  /** HTTP port; 0 picks a free one. Default 5173. */
  readonly port?: number;
  /** The embedded relay's data folder; web mode keeps its launch key and relay admin token there too. */
  readonly dataDir: string;
  /** The built renderer folder (default out/web). */
  readonly webRoot?: string;
  readonly room?: string;
  /** Use this remote relay instead of starting one. */
  readonly relayUrl?: string;
  /** The remote relay's admin credential (its admin token, or a room credential with admin rights). */
  readonly adminToken?: string;
  /** How to start the embedded relay on web mode's server (default: attachRelay from @converge/sync-server). */
  readonly attachRelay?: AttachRelay;
  /** Where warnings go (default stderr). */
  readonly warn?: (message: string) => void;
}

export interface WebMode {
  /** The page to open: http://127.0.0.1:<port>/#key=<launch key> (the key lets its tabs get credentials). */
  readonly url: string;
  /** ws://127.0.0.1:<port>/relay for the embedded relay (the page itself uses its own host name). */
  readonly relayUrl: string;
  readonly adminUrl: string;
  close(): Promise<void>;
}

/** The relay web mode serves: the embedded one on its own port, or a remote one. */
type ServedRelay =
  | { readonly kind: 'embedded'; readonly relay: AttachedRunningRelay; readonly endpoint: RelayEndpoint }
  | { readonly kind: 'remote'; readonly endpoint: RelayEndpoint };

export async function startWebMode(options: WebModeOptions): Promise<WebMode> {
  const room = options.room ?? DEFAULT_ROOM;
  const warn =
    options.warn ?? ((message: string) => process.stderr.write(`converge web: warning: ${message}\n`));
  const secrets = await loadWebSecrets({ dataDir: options.dataDir, generate: secret, warn });
  const remote =
    options.relayUrl !== undefined
      ? remoteRelayEndpoint({
          room,
          relayUrl: options.relayUrl,
          ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}),
        })
      : undefined;
  const webRoot = resolve(options.webRoot ?? DEFAULT_WEB_ROOT);
  // Until listening, no Host matches; then 127.0.0.1, localhost and [::1] with our port.
  let hosts = new HostPolicy([], -1);
  let origin = '';
  let served: ServedRelay | undefined =
    remote !== undefined ? { kind: 'remote', endpoint: remote } : undefined;
  const pending = new PendingSockets(realTimers, SOCKET_LIMITS, () => {});
  const context: RequestContext = {
    webRoot,
    room,
    launchKey: secrets.launchKey,
    origin: () => origin,
    relay: () => served,
    credentialFor: (replicaId, inRoom) => {
      if (served === undefined) return Promise.reject(new Error('the relay is still starting'));
      return served.endpoint.credentialFor(replicaId, inRoom);
    },
  };
  const server = createServer(
    {
      headersTimeout: SOCKET_LIMITS.headerTimeoutMs,
      requestTimeout: 30_000,
      connectionsCheckingInterval: 1000,
    },
    (req, res) => {
      pending.settle(req.socket);
      if (!hosts.allows(req.headers.host)) {
        // A DNS-rebinding page reaches 127.0.0.1 under its own name: it gets nothing, not even the page.
        respond(res, 421, { 'Content-Type': 'text/plain; charset=utf-8' }, 'misdirected request\n');
        return;
      }
      handleRequest(req, res, context).catch(() => {
        if (!res.headersSent) respond(res, 500, headersFor(context, req), 'internal error\n');
        else res.destroy();
      });
    },
  );
  server.on('connection', (socket: Socket) => pending.admit(socket));
  server.on('clientError', (_error, socket) => socket.destroy());
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    pending.settle(req.socket);
    socket.on('error', () => socket.destroy());
    const relay = served?.kind === 'embedded' ? served.relay : undefined;
    // The relay checks Host and Origin itself; anything but its paths (its own, and its gateways' below
    // it: /relay/yjs/ROOM, /relay/automerge) is not ours to upgrade.
    const path = pathOf(req);
    if (relay === undefined || (path !== RELAY_PATH && !path.startsWith(`${RELAY_PATH}/`))) {
      socket.end('HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      return;
    }
    relay.handleUpgrade(req, socket, head);
  });
  try {
    await listen(server, options.port ?? DEFAULT_WEB_PORT);
  } catch (error) {
    await remote?.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  hosts = new HostPolicy(LOOPBACK_HOST_NAMES, port);
  origin = `http://${LOOPBACK_HOST}:${port}`;
  if (served === undefined) {
    try {
      served = await attachEmbedded(options, { port, adminToken: secrets.relayAdminToken, room });
    } catch (error) {
      await closeServer(server);
      throw error;
    }
  }
  let closing: Promise<void> | undefined;
  const relayEndpoint = served.endpoint;
  return {
    url: `${origin}/#key=${secrets.launchKey}`,
    relayUrl: relayEndpoint.relayUrl,
    adminUrl: relayEndpoint.adminUrl,
    close: () => {
      closing ??= (async () => {
        pending.clear();
        // The relay first: its sockets get a proper close frame before the server drops what is left.
        await Promise.allSettled([relayEndpoint.close()]);
        await closeServer(server);
      })();
      return closing;
    },
  };
}

async function attachEmbedded(
  options: WebModeOptions,
  at: { readonly port: number; readonly adminToken: string; readonly room: string },
): Promise<ServedRelay> {
  const attach = options.attachRelay ?? (await defaultAttachRelay());
  const relay = await attach({
    mount: { host: LOOPBACK_HOST, port: at.port, relayPath: RELAY_PATH, adminPath: ADMIN_PATH },
    dataDir: options.dataDir,
    adminToken: at.adminToken,
  });
  let closing: Promise<void> | undefined;
  const endpoint: RelayEndpoint = {
    relayUrl: relay.url,
    adminUrl: relay.adminUrl,
    embedded: true,
    credentialFor: async (replica, room = at.room) =>
      (await relay.mintCredential({ room, replica, rights: WINDOW_RIGHTS })).token,
    close: () => {
      closing ??= relay.close();
      return closing;
    },
  };
  return { kind: 'embedded', relay, endpoint };
}

/** 32 random bytes, base64url: the embedded relay's admin token, and the launch key. */
function secret(): string {
  return randomBytes(32).toString('base64url');
}

interface RequestContext {
  readonly webRoot: string;
  readonly room: string;
  readonly launchKey: string;
  origin(): string;
  relay(): ServedRelay | undefined;
  credentialFor(replicaId: string, room?: string): Promise<string>;
}

/** The request's path without query or fragment, raw (not URL-normalized). */
function pathOf(req: IncomingMessage): string {
  return (req.url ?? '/').split(/[?#]/, 1)[0]!;
}

/**
 * Where this page's relay is, as the page names web mode (127.0.0.1, localhost or [::1] with our port,
 * already checked by the host policy): the embedded relay on the page's own origin, or the remote one.
 */
function webConfig(ctx: RequestContext, req: IncomingMessage): WebConfig | undefined {
  const served = ctx.relay();
  if (served === undefined) return undefined;
  if (served.kind === 'remote') {
    return { room: ctx.room, relayUrl: served.endpoint.relayUrl, adminUrl: served.endpoint.adminUrl };
  }
  const host = req.headers.host ?? '';
  return { room: ctx.room, relayUrl: `ws://${host}${RELAY_PATH}`, adminUrl: `http://${host}${ADMIN_PATH}` };
}

/** Security headers, with the relay this page connects to in the CSP's connect-src. */
function headersFor(ctx: RequestContext, req: IncomingMessage): Record<string, string> {
  const config = webConfig(ctx, req);
  return securityHeaders(
    contentSecurityPolicy({ connectTo: config === undefined ? [] : [config.relayUrl, config.adminUrl] }),
  );
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
  // The raw path, not a URL-normalized one: resolveStaticFile must see (and refuse) any "..".
  const rawPath = pathOf(req);
  const headers = headersFor(ctx, req);
  if (rawPath === ADMIN_PATH || rawPath.startsWith(`${ADMIN_PATH}/`)) {
    const served = ctx.relay();
    if (served?.kind !== 'embedded') {
      respond(res, served === undefined ? 503 : 404, headers, 'no relay here\n');
      return;
    }
    served.relay.handleRequest(req, res);
    return;
  }
  if (rawPath === '/credentials') {
    await handleTabCredential(req, res, { ...ctx, headers });
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    respond(res, 405, { ...headers, Allow: 'GET, HEAD' }, 'method not allowed\n');
    return;
  }
  const head = req.method === 'HEAD';
  if (rawPath === '/config.json') {
    const config = webConfig(ctx, req);
    if (config === undefined) {
      respond(res, 503, { ...headers, 'Retry-After': '1' }, 'starting\n');
      return;
    }
    const body = `${JSON.stringify(config)}\n`;
    respond(
      res,
      200,
      { ...headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
      head ? undefined : body,
      Buffer.byteLength(body),
    );
    return;
  }
  const found = await resolveStaticFile(ctx.webRoot, rawPath);
  if (found.kind === 'not-found') {
    respond(res, 404, { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, 'not found\n');
    return;
  }
  res.writeHead(200, {
    ...headers,
    'Content-Type': found.contentType,
    'Content-Length': String(found.size),
    // Hashed asset names never change content; the page itself is always revalidated.
    'Cache-Control': rawPath.startsWith('/assets/') ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  if (head) {
    res.end();
    return;
  }
  const stream = createReadStream(found.path);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

function respond(
  res: ServerResponse,
  status: number,
  headers: Readonly<Record<string, string>>,
  body: string | undefined,
  length = body === undefined ? 0 : Buffer.byteLength(body),
): void {
  res.writeHead(status, { ...headers, 'Content-Length': String(length) });
  res.end(body);
}

function listen(server: Server, port: number): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    const onError = (error: NodeJS.ErrnoException): void => {
      reject(
        error.code === 'EADDRINUSE'
          ? new Error(`port ${port} on ${LOOPBACK_HOST} is in use; pass --port 0 for a free port`)
          : error,
      );
    };
    server.once('error', onError);
    server.listen(port, LOOPBACK_HOST, () => {
      server.off('error', onError);
      resolvePromise();
    });
  });
}

async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
  server.closeAllConnections();
  await closed;
}

async function defaultAttachRelay(): Promise<AttachRelay> {
  const { attachEmbeddedRelay } = await import('./embedded-relay.ts');
  return attachEmbeddedRelay;
}

export const WEB_MODE_USAGE = `usage: npm run web -- [options]

  --port N             HTTP port of the page, the relay (/relay) and its admin API (/api) (default ${DEFAULT_WEB_PORT}; 0 = a free one)
  --data-dir DIR       the relay's rooms, and web mode's launch key and relay admin token (default data/web)
  --room NAME          the room every tab joins (default ${DEFAULT_ROOM})
  --relay ws://H:P     use a remote relay instead of the embedded one (needs --admin-token)
  --admin-token T      the remote relay's admin token, or a room credential with read, write and admin rights
  --web-root DIR       the built renderer (default out/web, made by npm run build:web)
  -h, --help           this text

Open the printed URL: it ends in #key=…, the launch key that lets its tabs join the room. Restarting on the
same port and data folder keeps the key, so open tabs reconnect by themselves.`;

export interface WebModeCli {
  readonly port: number;
  readonly dataDir: string;
  readonly webRoot?: string;
  readonly room?: string;
  readonly relayUrl?: string;
  readonly adminToken?: string;
}

export type WebModeArgs =
  | { readonly ok: true; readonly help: true }
  | { readonly ok: true; readonly help?: false; readonly options: WebModeCli }
  | { readonly ok: false; readonly error: string };

/** Parse `npm run web` flags; returns an error message for bad input (unknown flags too) instead of throwing. */
export function parseWebModeArgs(argv: readonly string[]): WebModeArgs {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        port: { type: 'string' },
        'data-dir': { type: 'string' },
        'web-root': { type: 'string' },
        room: { type: 'string' },
        relay: { type: 'string' },
        'admin-token': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    const message = (error as Error).message;
    return {
      ok: false,
      error: /--relay-port/.test(message)
        ? "--relay-port is gone: the relay is served on the page's own port, at /relay"
        : message.replace(/\. To specify a positional argument.*$/s, ''),
    };
  }
  if (values.help === true) return { ok: true, help: true };
  // The relay, room and admin token flags mean the same as the desktop app's: checked the same way.
  const shared = parseCliArgs(
    (['relay', 'room', 'admin-token'] as const).flatMap((flag) =>
      typeof values[flag] === 'string' ? [`--${flag}=${values[flag]}`] : [],
    ),
  );
  if (!shared.ok) return shared;
  const out: { port: number; dataDir: string; webRoot?: string } = {
    port: DEFAULT_WEB_PORT,
    dataDir: 'data/web',
  };
  if (typeof values.port === 'string') {
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) {
      return {
        ok: false,
        error: `--port must be a port number 0-65535 (0 = free port), got ${JSON.stringify(values.port)}`,
      };
    }
    out.port = port;
  }
  for (const [flag, key] of [
    ['data-dir', 'dataDir'],
    ['web-root', 'webRoot'],
  ] as const) {
    const value = values[flag];
    if (typeof value !== 'string') continue;
    if (value === '') return { ok: false, error: `--${flag} must not be empty` };
    out[key] = value;
  }
  return { ok: true, options: { ...out, ...shared.settings } };
}

async function runCli(): Promise<void> {
  const parsed = parseWebModeArgs(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`converge web: ${parsed.error}\n\n${WEB_MODE_USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (parsed.help === true) {
    process.stdout.write(`${WEB_MODE_USAGE}\n`);
    return;
  }
  const o = parsed.options;
  const webRoot = resolve(o.webRoot ?? DEFAULT_WEB_ROOT);
  if (!existsSync(join(webRoot, 'index.html'))) {
    process.stderr.write(
      `converge web: warning: ${webRoot} has no index.html; build it with npm run build:web\n`,
    );
  }
  let web: WebMode;
  try {
    web = await startWebMode({
      port: o.port,
      // npm runs scripts in the package folder; relative paths mean the caller's folder.
      dataDir: resolve(process.env.INIT_CWD ?? process.cwd(), o.dataDir),
      webRoot,
      ...(o.room !== undefined ? { room: o.room } : {}),
      ...(o.relayUrl !== undefined ? { relayUrl: o.relayUrl } : {}),
      ...(o.adminToken !== undefined ? { adminToken: o.adminToken } : {}),
    });
  } catch (error) {
    process.stderr.write(`converge web: ${(error as Error).message}\n`);
    process.exitCode = 1;
    return;
  }
  process.stdout.write(
    `Converge web mode\n  open   ${web.url}   (each tab is a replica; the #key lets its tabs join the room)\n  relay  ${web.relayUrl}\n  admin  ${web.adminUrl}\n`,
  );
  const stop = (): void => {
    process.stdout.write('converge web: shutting down\n');
    web.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  void runCli();
}
