// Helpers for relay tests: a relay on a free port with captured logs, and raw protocol clients.
import {
  decodeFrame,
  type EngineName,
  encodeData,
  encodeFrame,
  type Frame,
  type NodeRole,
  PROTOCOL_VERSION,
} from '@converge/replica/protocol';
import { afterEach } from 'vitest';
import WebSocket from 'ws';
import { createRelay, type Relay, type RelayOptions } from '../src/index.ts';

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

export async function waitFor(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
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
    const ws = new WebSocket(url, { headers, maxPayload: 64 * 1024 * 1024 });
    const client = new RawClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
      ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    });
    return client;
  }

  /** Connect and join; resolves once the welcome arrived. */
  static async join(
    url: string,
    room: string,
    nodeId: string,
    options: { role?: NodeRole; token?: string } = {},
  ): Promise<RawClient> {
    const client = await RawClient.connect(url);
    client.hello(room, nodeId, options);
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

  data(from: string, to: string | null, engine: EngineName, payload: Uint8Array): void {
    this.sendBytes(encodeData(from, to, engine, payload));
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
