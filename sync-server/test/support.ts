// Helpers for relay tests: a relay on a free port with captured logs, and raw protocol clients.

import { type ChildProcess, spawn } from 'node:child_process';
import http from 'node:http';
import { join } from 'node:path';
import {
  decodeFrame,
  encodeData,
  encodeFrame,
  type Frame,
  type NodeRole,
  PROTOCOL_VERSION,
  type Right,
} from '@converge/protocol';
import {
  ENGINES,
  MemoryStore,
  RelayTransport,
  type RelayTransportOptions,
  Replica,
  type ReplicaOptions,
} from '@converge/replica';
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import { type CredentialRequest, createRelay, type Relay, type RelayOptions } from '../src/index.ts';

/** A relay tests can join: its URL and a way to mint credentials (in process, or over its admin API). */
export interface JoinTarget {
  readonly url: string;
  mintCredential(request: CredentialRequest): Promise<{ readonly token: string }>;
}

/** What tests need of a relay, in this process (a `Relay`) or another (`remoteRelay`). */
export interface RelayAccess extends JoinTarget {
  readonly adminUrl: string;
  readonly adminToken: string;
}

/** A relay in another process, reached through its admin API with the admin token. */
export function remoteRelay(url: string, adminToken: string): RelayAccess {
  const adminUrl = url.replace(/^ws/, 'http');
  return {
    url,
    adminUrl,
    adminToken,
    mintCredential: async ({ room, replica, rights }) => {
      const response = await fetch(`${adminUrl}/rooms/${room}/credentials`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ replica, rights }),
      });
      if (!response.ok) throw new Error(`minting failed: ${response.status} ${await response.text()}`);
      return (await response.json()) as { token: string };
    },
  };
}

export interface JoinOptions {
  readonly role?: NodeRole;
  /** The credential to send; default: one minted for the room and node with `rights`. */
  readonly token?: string;
  /** Default read and write. */
  readonly rights?: readonly Right[];
}

/** A credential for `replica` in `room` (read and write unless told otherwise). */
export async function credentialFor(
  target: Pick<JoinTarget, 'mintCredential'>,
  room: string,
  replica: string,
  rights: readonly Right[] = ['read', 'write'],
): Promise<string> {
  return (await target.mintCredential({ room, replica, rights })).token;
}

/** Cleanups a test registers (push a function); run after each test, last registered first. */
export function cleanupsAfterEach(): (() => unknown)[] {
  const cleanups: (() => unknown)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  return cleanups;
}

/** Relays `startRelay` started and raw clients opened, until `closeRelaysAfterEach` closes them. */
const openRelays = new Set<Relay>();
const openClients = new Set<RawClient>();

/**
 * Call once at the top of a test file: after each test, every raw client it opened and every relay
 * `startRelay` started are closed (clients first, so the relay sees ordinary leaves).
 */
export function closeRelaysAfterEach(): void {
  afterEach(async () => {
    const clients = [...openClients];
    openClients.clear();
    await Promise.all(clients.map((client) => client.close()));
    const relays = [...openRelays];
    openRelays.clear();
    await Promise.all(relays.map((relay) => relay.close()));
  });
}

/** A relay on 127.0.0.1:0 whose log lines are kept (not printed). */
export async function startRelay(options: RelayOptions = {}): Promise<{ relay: Relay; logs: string[] }> {
  const logs: string[] = [];
  const relay = await createRelay({ logLevel: 'debug', logSink: (line) => logs.push(line), ...options });
  openRelays.add(relay);
  return { relay, logs };
}

/** A node's WebSocket transport to `room` of a relay, with its own credential and quick reconnects. */
export function relayTransport(
  relay: JoinTarget,
  room: string,
  id: string,
  options: Partial<RelayTransportOptions> = {},
): RelayTransport {
  return new RelayTransport({
    url: relay.url,
    room,
    nodeId: id,
    token: () => credentialFor(relay, room, id),
    WebSocket,
    backoff: { initialMs: 20, maxMs: 200 },
    ...options,
  });
}

/**
 * Until `condition` holds. The default bound is generous: relays with storage peers start a worker thread
 * that compiles every engine, and on a loaded 2-core CI a WebSocket connect elsewhere took over 5 s.
 */
export async function waitFor(condition: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

export interface Closed {
  readonly code: number;
  readonly reason: string;
}

/** A raw client: sends whatever bytes a test wants, records every frame and the close. */
export class RawClient {
  readonly frames: Frame[] = [];
  readonly undecodable: Uint8Array[] = [];
  closed: Closed | undefined;
  private constructor(readonly ws: WebSocket) {
    openClients.add(this);
    ws.on('message', (data: Buffer) => {
      try {
        // Copy: a data frame's payload is a view into the receive buffer.
        this.frames.push(decodeFrame(new Uint8Array(data)));
      } catch {
        this.undecodable.push(new Uint8Array(data));
      }
    });
    ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
    });
    ws.on('error', () => {});
  }

  static async connect(url: string, headers?: Record<string, string>): Promise<RawClient> {
    return RawClient.adopt(new WebSocket(url, { headers, maxPayload: 64 * 1024 * 1024 }));
  }

  /** Wrap a WebSocket a test opened itself (e.g. from another local address); resolves once open. */
  static async adopt(ws: WebSocket): Promise<RawClient> {
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return client;
  }

  /** Connect and join with a credential (minted unless given); resolves once welcome or an error arrived. */
  static async join(
    target: JoinTarget,
    room: string,
    nodeId: string,
    options: JoinOptions = {},
  ): Promise<RawClient> {
    const token = options.token ?? (await credentialFor(target, room, nodeId, options.rights));
    const client = await RawClient.connect(target.url);
    client.hello(room, nodeId, { ...options, token });
    await client.waitFor((f) => f.type === 'welcome' || f.type === 'error', `welcome for ${nodeId}`);
    return client;
  }

  hello(room: string, nodeId: string, options: { role?: NodeRole; token?: string } = {}): void {
    this.sendBytes(
      encodeFrame({
        type: 'hello',
        version: PROTOCOL_VERSION,
        room,
        nodeId,
        role: options.role ?? 'replica',
        token: options.token ?? '',
      }),
    );
  }

  data(from: string, to: string | null, channel: number, payload: Uint8Array): void {
    this.sendBytes(encodeData(from, to, channel, payload));
  }

  sendBytes(bytes: Uint8Array | string): void {
    if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes);
  }

  of<T extends Frame['type']>(type: T): Extract<Frame, { type: T }>[] {
    return this.frames.filter((f): f is Extract<Frame, { type: T }> => f.type === type);
  }

  async waitFor(predicate: (frame: Frame) => boolean, what: string, timeoutMs = 5000): Promise<Frame> {
    let found: Frame | undefined;
    await waitFor(
      () => {
        found = this.frames.find(predicate);
        return found !== undefined;
      },
      what,
      timeoutMs,
    );
    return found as Frame;
  }

  async waitClosed(timeoutMs = 5000): Promise<Closed> {
    await waitFor(() => this.closed !== undefined, 'close', timeoutMs);
    return this.closed as Closed;
  }

  async close(): Promise<void> {
    if (this.closed !== undefined) return;
    this.ws.close();
    await this.waitClosed().catch(() => this.ws.terminate());
  }
}

/** Reachable peers as a client has been told them (welcome, then link-up/down in order). */
export function reachableSeen(client: RawClient): Set<string> {
  const peers = new Set<string>();
  for (const frame of client.frames) {
    if (frame.type === 'welcome') {
      peers.clear();
      for (const p of frame.peers) if (p.reachable) peers.add(p.id);
    } else if (frame.type === 'link-up') peers.add(frame.peer);
    else if (frame.type === 'link-down') peers.delete(frame.peer);
  }
  return peers;
}

export function payloadText(frame: Frame): string {
  return frame.type === 'data' ? new TextDecoder().decode(frame.payload) : '';
}

export const text = (s: string): Uint8Array => new TextEncoder().encode(s);

export interface Reply {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: unknown;
}

export interface RequestOptions {
  readonly body?: unknown;
  readonly rawBody?: string;
  /** Sent as given; without `authorization`, the relay's admin token is sent. */
  readonly headers?: Record<string, string>;
}

/** One request to the relay's admin API (http.request, so any Host header can be sent). */
export function adminRequest(
  relay: Relay,
  method: string,
  path: string,
  options: RequestOptions = {},
): Promise<Reply> {
  const url = new URL(path, relay.adminUrl);
  const payload = options.rawBody ?? (options.body === undefined ? undefined : JSON.stringify(options.body));
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      {
        method,
        headers: {
          authorization: `Bearer ${relay.adminToken}`,
          ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const raw = Buffer.concat(chunks).toString('utf8');
          let body: unknown = raw;
          try {
            body = raw === '' ? undefined : JSON.parse(raw);
          } catch {
            // not JSON
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        });
      },
    );
    req.on('error', reject);
    if (payload !== undefined) req.write(payload);
    req.end();
  });
}

/** Subscribe to the event stream at `path`; the parsed events arrive in `events`. */
export function openEventStream(
  relay: Relay,
  path: string,
  cleanups: (() => void)[],
): { events: { type: string; data: unknown }[]; status: Promise<number> } {
  const events: { type: string; data: unknown }[] = [];
  const status = new Promise<number>((resolve, reject) => {
    const req = http.get(new URL(path, relay.adminUrl), (res) => {
      resolve(res.statusCode ?? 0);
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          const type = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (type !== undefined && data !== undefined) events.push({ type, data: JSON.parse(data) });
        }
      });
      res.on('error', () => {});
    });
    req.on('error', reject);
    cleanups.push(() => req.destroy());
  });
  return { events, status };
}

/** The relay's CLI in a process of its own (to be SIGKILLed): resolves once it listens, with its port. */
export function startRelayProcess(options: {
  readonly port: number;
  readonly dataDir: string;
  readonly adminToken: string;
}): Promise<{ child: ChildProcess; port: number }> {
  return new Promise((resolve, reject) => {
    const cli = join(import.meta.dirname, '../src/cli.ts');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        cli,
        ...['--port', String(options.port), '--data-dir', options.dataDir, '--log-level', 'info'],
        ...['--admin-token', options.adminToken],
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /"event":"listening","url":"ws:\/\/127\.0\.0\.1:(\d+)"/.exec(out);
      if (match) resolve({ child, port: Number(match[1]) });
    });
    child.on('error', reject);
    child.on('exit', (code) => reject(new Error(`relay exited (${code}) before listening: ${out}`)));
  });
}

/**
 * A headless window in `room` (every engine, a memory store, quick reconnects and anti-entropy, its own
 * credential); `options` overrides the rest (engines, anti-entropy...). The caller closes it.
 */
export function openWindow(
  relay: JoinTarget,
  room: string,
  id: string,
  options: Partial<ReplicaOptions> = {},
): Promise<Replica> {
  return Replica.open({
    id,
    transport: relayTransport(relay, room, id),
    store: new MemoryStore(),
    engines: ENGINES,
    antiEntropyMs: 200,
    ...options,
  });
}

/** A process a test started: its JSON log lines (stdout), raw output and exit. */
export interface Running {
  readonly child: ChildProcess;
  /** Every complete stdout line that is a JSON object (the relay's log), parsed. */
  readonly lines: () => Record<string, unknown>[];
  readonly stderr: () => string;
  readonly stdout: () => string;
  readonly exited: Promise<number | null>;
}

/** Start `command` with its output captured (stdin ignored). */
export function runProcess(command: string, args: readonly string[]): Running {
  const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  // Decoded as a stream: a character split across two chunks is not mangled.
  child.stdout?.setEncoding('utf8');
  child.stderr?.setEncoding('utf8');
  child.stdout?.on('data', (chunk: string) => {
    out += chunk;
  });
  child.stderr?.on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    lines: () =>
      // Only lines already ended: the process may be halfway through writing the last one.
      out
        .slice(0, out.lastIndexOf('\n') + 1)
        .split('\n')
        .filter((l) => l.trim().startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    stderr: () => err,
    stdout: () => out,
    exited,
  };
}

/** What a WebSocket upgrade to `url` is answered: 101 when it opens (closed at once), else the HTTP status and body. */
export function upgradeAnswer(url: string): Promise<{ readonly status: number; readonly body: string }> {
  return new Promise((resolve) => {
    const socket = new WebSocket(url);
    socket.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => {
        body += chunk.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    socket.on('open', () => {
      socket.close();
      resolve({ status: 101, body: '' });
    });
    socket.on('error', () => {});
  });
}
