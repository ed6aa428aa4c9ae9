/**
 * Admin calls about a room another node owns: proxied to the owner, which answers them as its own
 * (and checks the credential). Only the method, path, body and the headers the admin API reads travel.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { request } from 'node:http';
import { isValidId } from '@converge/protocol';
import { FORWARDED_BY_HEADER } from './upstream.ts';

/** The room a `/rooms/:room[/...]` path is about (undefined for other paths and invalid ids). */
export function roomOfAdminPath(url: string): string | undefined {
  const match = /^\/rooms\/([^/?]+)/.exec(url);
  if (match === null) return undefined;
  let room: string;
  try {
    room = decodeURIComponent(match[1] as string);
  } catch {
    return undefined;
  }
  return isValidId(room) ? room : undefined;
}

const FORWARDED_HEADERS = ['authorization', 'content-type', 'content-length', 'origin', 'accept'] as const;

/** Send `req` to the owner's relay at `ownerUrl` (ws://host:port[/path]) and relay its answer to `res`. */
export function proxyAdminRequest(
  req: IncomingMessage,
  res: ServerResponse,
  ownerUrl: string,
  nodeId: string,
  failed: (error: string) => void,
): void {
  const target = new URL(ownerUrl.replace(/^ws/, 'http'));
  const headers: Record<string, string> = { [FORWARDED_BY_HEADER]: nodeId, host: target.host };
  for (const name of FORWARDED_HEADERS) {
    const value = req.headers[name];
    if (typeof value === 'string') headers[name] = value;
  }
  // The owner's admin API lives where its relay path's sibling would; nodes run unmounted, at the root.
  const upstream = request(
    { host: target.hostname, port: target.port, method: req.method, path: req.url, headers },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    },
  );
  upstream.on('error', (error) => {
    failed(error.message);
    if (!res.headersSent) {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify({ error: 'the room owner is unreachable; try again' })}\n`);
    } else res.destroy();
  });
  req.pipe(upstream);
}

/**
 * GET `path` of a peer node's admin API (at its relay URL `peerUrl`) with the cluster's admin token,
 * marked as forwarded so the peer answers for itself alone. Rejects on a failure or after `timeoutMs`.
 */
export async function askPeer(
  peerUrl: string,
  path: string,
  adminToken: string,
  nodeId: string,
  timeoutMs: number,
): Promise<unknown> {
  const target = new URL(peerUrl.replace(/^ws/, 'http'));
  const response = await fetch(new URL(path, target.origin), {
    headers: { authorization: `Bearer ${adminToken}`, [FORWARDED_BY_HEADER]: nodeId },
    signal: AbortSignal.timeout(timeoutMs),
  });
  if (!response.ok) throw new Error(`${path} answered ${response.status}`);
  return response.json();
}
