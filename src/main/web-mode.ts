/**
 * Web mode: the same renderer in a plain browser. One Node process runs the relay on 127.0.0.1 and
 * serves the built renderer (out/web), /config.json and /credentials over HTTP on 127.0.0.1, every
 * response with the app's strict CSP. Each browser tab is a replica (the renderer keeps its id in
 * ?replica= and its data in IndexedDB) and gets its own room credential (see tab-credentials.ts).
 *
 *   npm run web -- [--port 5173] [--relay-port 0] [--data-dir ./data/web] [--room default] [--relay ws://… --admin-token T]
 *
 * `startWebMode` is exported so end-to-end tests can start it on free ports.
 */
import { randomBytes } from 'node:crypto';
import { createReadStream, existsSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { realTimers } from '@converge/replica/timers';
import { HostPolicy, LOOPBACK_HOST_NAMES, PendingSockets } from '@converge/sync-server';
import { LOOPBACK_HOST, type RelayEndpoint, type StartRelay, startRelayHost } from './relay-host.ts';
import { contentSecurityPolicy, securityHeaders } from './security.ts';
import { DEFAULT_ROOM, parseCliArgs } from './settings.ts';
import { resolveStaticFile } from './static-files.ts';
import { handleTabCredential } from './tab-credentials.ts';

export const DEFAULT_WEB_PORT = 5173;
/** The built web renderer, relative to this file (src/main → out/web). */
export const DEFAULT_WEB_ROOT = fileURLToPath(new URL('../../out/web', import.meta.url));

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
  /** Embedded relay port; 0 (default) picks a free one. */
  readonly relayPort?: number;
  /** The embedded relay's data folder. */
  readonly dataDir: string;
  /** The built renderer folder (default out/web). */
  readonly webRoot?: string;
  readonly room?: string;
  /** Use this remote relay instead of starting one. */
  readonly relayUrl?: string;
  /** The remote relay's admin credential (its admin token, or a room credential with admin rights). */
  readonly adminToken?: string;
  /** How to start the embedded relay (default: createRelay from @converge/sync-server). */
  readonly startRelay?: StartRelay;
}

export interface WebMode {
  /** The page to open: http://127.0.0.1:<port>/#key=<launch key> (the key lets its tabs get credentials). */
  readonly url: string;
  readonly relayUrl: string;
  readonly adminUrl: string;
  close(): Promise<void>;
}

export async function startWebMode(options: WebModeOptions): Promise<WebMode> {
  const startRelay = options.startRelay ?? (await defaultStartRelay());
  const relay = await startRelayHost({
    settings: {
      room: options.room ?? DEFAULT_ROOM,
      ...(options.relayUrl !== undefined ? { relayUrl: options.relayUrl } : {}),
      ...(options.adminToken !== undefined ? { adminToken: options.adminToken } : {}),
    },
    dataDir: options.dataDir,
    startRelay,
    port: options.relayPort ?? 0,
    generateSecret: secret,
  });
  const config: WebConfig = {
    room: options.room ?? DEFAULT_ROOM,
    relayUrl: relay.relayUrl,
    adminUrl: relay.adminUrl,
  };
  const launchKey = secret();
  const headers = securityHeaders(contentSecurityPolicy({ connectTo: [relay.relayUrl, relay.adminUrl] }));
  const webRoot = resolve(options.webRoot ?? DEFAULT_WEB_ROOT);
  // Until listening, no Host matches; then 127.0.0.1, localhost and [::1] with our port.
  let hosts = new HostPolicy([], -1);
  let origin = '';
  const pending = new PendingSockets(realTimers, SOCKET_LIMITS, () => {});
  const context: RequestContext = {
    webRoot,
    config,
    headers,
    launchKey,
    origin: () => origin,
    credentialFor: (replicaId) => relay.credentialFor(replicaId),
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
        if (!res.headersSent) respond(res, 500, headers, 'internal error\n');
        else res.destroy();
      });
    },
  );
  server.on('connection', (socket: Socket) => pending.admit(socket));
  server.on('clientError', (_error, socket) => socket.destroy());
  try {
    await listen(server, options.port ?? DEFAULT_WEB_PORT);
  } catch (error) {
    await relay.close();
    throw error;
  }
  const { port } = server.address() as AddressInfo;
  hosts = new HostPolicy(LOOPBACK_HOST_NAMES, port);
  origin = `http://${LOOPBACK_HOST}:${port}`;
  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/#key=${launchKey}`,
    relayUrl: relay.relayUrl,
    adminUrl: relay.adminUrl,
    close: () => {
      closing ??= (async () => {
        pending.clear();
        await closeAll(server, relay);
      })();
      return closing;
    },
  };
}

/** 32 random bytes, base64url: the embedded relay's admin token, and the launch key. */
function secret(): string {
  return randomBytes(32).toString('base64url');
}

interface RequestContext {
  readonly webRoot: string;
  readonly config: WebConfig;
  readonly headers: Readonly<Record<string, string>>;
  readonly launchKey: string;
  origin(): string;
  credentialFor(replicaId: string): Promise<string>;
}

async function handleRequest(req: IncomingMessage, res: ServerResponse, ctx: RequestContext): Promise<void> {
  // The raw path, not a URL-normalized one: resolveStaticFile must see (and refuse) any "..".
  const rawPath = (req.url ?? '/').split(/[?#]/, 1)[0]!;
  if (rawPath === '/credentials') {
    await handleTabCredential(req, res, ctx);
    return;
  }
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    respond(res, 405, { ...ctx.headers, Allow: 'GET, HEAD' }, 'method not allowed\n');
    return;
  }
  const head = req.method === 'HEAD';
  if (rawPath === '/config.json') {
    const body = `${JSON.stringify(ctx.config)}\n`;
    respond(
      res,
      200,
      { ...ctx.headers, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' },
      head ? undefined : body,
      Buffer.byteLength(body),
    );
    return;
  }
  const found = await resolveStaticFile(ctx.webRoot, rawPath);
  if (found.kind === 'not-found') {
    respond(res, 404, { ...ctx.headers, 'Content-Type': 'text/plain; charset=utf-8' }, 'not found\n');
    return;
  }
  res.writeHead(200, {
    ...ctx.headers,
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

async function closeAll(server: Server, relay: RelayEndpoint): Promise<void> {
  const closed = new Promise<void>((resolvePromise) => server.close(() => resolvePromise()));
  server.closeAllConnections();
  await Promise.allSettled([closed, relay.close()]);
}

async function defaultStartRelay(): Promise<StartRelay> {
  const { startEmbeddedRelay } = await import('./embedded-relay.ts');
  return startEmbeddedRelay;
}

export interface WebModeCli {
  readonly port: number;
  readonly relayPort: number;
  readonly dataDir: string;
  readonly webRoot?: string;
  readonly room?: string;
  readonly relayUrl?: string;
  readonly adminToken?: string;
}

/** Parse `npm run web` flags; returns an error message for bad input instead of throwing. */
export function parseWebModeArgs(
  argv: readonly string[],
): { ok: true; options: WebModeCli } | { ok: false; error: string } {
  const shared = parseCliArgs(argv);
  if (!shared.ok) return shared;
  const out: {
    port: number;
    relayPort: number;
    dataDir: string;
    webRoot?: string;
  } = { port: DEFAULT_WEB_PORT, relayPort: 0, dataDir: 'data/web' };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (!['--port', '--relay-port', '--data-dir', '--web-root'].includes(name)) continue;
    let value: string | undefined;
    if (eq !== -1) value = arg.slice(eq + 1);
    else {
      value = argv[++i];
      if (value === undefined || value.startsWith('--')) return { ok: false, error: `${name} needs a value` };
    }
    if (name === '--port' || name === '--relay-port') {
      const port = Number(value);
      if (!/^\d+$/.test(value) || port > 65535) {
        return {
          ok: false,
          error: `${name} must be a port number 0-65535 (0 = free port), got ${JSON.stringify(value)}`,
        };
      }
      if (name === '--port') out.port = port;
      else out.relayPort = port;
    } else if (value === '') {
      return { ok: false, error: `${name} must not be empty` };
    } else if (name === '--data-dir') {
      out.dataDir = value;
    } else {
      out.webRoot = value;
    }
  }
  return { ok: true, options: { ...out, ...shared.settings } };
}

async function runCli(): Promise<void> {
  const parsed = parseWebModeArgs(process.argv.slice(2));
  if (!parsed.ok) {
    process.stderr.write(`converge web: ${parsed.error}\n`);
    process.exitCode = 2;
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
      relayPort: o.relayPort,
      dataDir: resolve(o.dataDir),
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
