/**
 * Web mode's credential endpoint: how a browser tab gets a room credential for its replica id.
 *
 * Any local process can reach web mode's port, so reaching it proves nothing. What a tab holds and
 * other local processes do not is the launch key: a random secret web mode generates at start and
 * puts in the URL it prints (after `#`, so it is never sent in a request line, logged or passed on in a
 * Referer). The page moves it into its origin's localStorage (scoped to scheme, host and port, unlike a
 * cookie) and presents it here as `Authorization: Bearer`; web mode then has the relay mint a
 * credential naming that tab's replica id, with the app's window rights. The relay's admin token
 * stays in the web-mode process. A request must also come from web mode's own page (Origin) and name
 * web mode's own host (checked before this handler, against DNS rebinding).
 */

import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { idProblem } from '@converge/protocol';

const MAX_BODY_BYTES = 1024;

export interface TabCredentialContext {
  readonly launchKey: string;
  /** The page's own origin, e.g. http://127.0.0.1:5173 (requests from any other origin are refused). */
  origin(): string;
  /** Mint a credential for one replica in a room (the relay endpoint's `credentialFor`; default: web mode's room). */
  credentialFor(replicaId: string, room?: string): Promise<string>;
  readonly headers: Readonly<Record<string, string>>;
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * Answers POST /credentials: `{"replica": "ID"}` (and optionally `"room": "ROOM"`, else web mode's room)
 * with the launch key → `{"token": "..."}`. The launch key admits a tab to any room of web mode's relay:
 * rooms keep workspaces apart, they are not a boundary between people (a shared room link carries the key).
 */
export async function handleTabCredential(
  req: IncomingMessage,
  res: ServerResponse,
  ctx: TabCredentialContext,
): Promise<void> {
  const answer = (status: number, body: unknown): void => {
    const text = `${JSON.stringify(body)}\n`;
    res.writeHead(status, {
      ...ctx.headers,
      'Content-Type': 'application/json; charset=utf-8',
      'Cache-Control': 'no-store',
      'Content-Length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  };
  if (req.method !== 'POST') {
    res.setHeader('Allow', 'POST');
    answer(405, { error: 'use POST' });
    return;
  }
  if (req.headers.origin !== ctx.origin()) {
    answer(403, { error: 'credentials are only handed to this server’s own page' });
    return;
  }
  const header = req.headers.authorization ?? '';
  const presented = header.startsWith('Bearer ') ? header.slice('Bearer '.length) : '';
  if (!timingSafeEqual(digest(presented), digest(ctx.launchKey))) {
    answer(401, {
      error: 'this page has no valid launch key: open the URL npm run web printed (the key follows #key=)',
    });
    return;
  }
  const body = await readBody(req);
  let replica: unknown;
  let room: unknown;
  try {
    ({ replica, room } = JSON.parse(body ?? '') as { replica?: unknown; room?: unknown });
  } catch {
    replica = undefined;
  }
  const problem =
    idProblem(replica) === undefined
      ? room === undefined || idProblem(room) === undefined
        ? undefined
        : `room ${idProblem(room)}`
      : `replica id ${idProblem(replica)}`;
  if (body === undefined || problem !== undefined) {
    answer(400, {
      error: `body must be {"replica": "ID", "room"?: "ROOM"}${problem !== undefined ? `: ${problem}` : ''}`,
    });
    return;
  }
  try {
    answer(200, { token: await ctx.credentialFor(replica as string, room as string | undefined) });
  } catch (error) {
    answer(502, { error: (error as Error).message });
  }
}

/** The body as text, or undefined when it is larger than a credential request can be. */
async function readBody(req: IncomingMessage): Promise<string | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) return undefined;
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}
