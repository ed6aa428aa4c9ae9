/**
 * Room credentials for the app's own windows. Main (Electron) and the web-mode server hold the relay's
 * admin credential — the admin token they generated for the embedded relay, or the one configured for a
 * remote relay (its admin token, or a room credential with admin rights) — and never hand it to a
 * window. Each window gets a credential minted by the relay (POST /rooms/ROOM/credentials) that names
 * its own replica id in the app's room.
 */
import { z } from 'zod';

/** What a window may do in its room: sync (read, write) and drive the network panel (admin). */
export const WINDOW_RIGHTS = ['read', 'write', 'admin'] as const;

export type Fetch = (input: string, init?: RequestInit) => Promise<Response>;

export interface CredentialSource {
  /** The relay admin API's base URL. */
  readonly adminUrl: string;
  /** Sent as `Authorization: Bearer …`; never leaves the process that holds it. */
  readonly adminCredential: string;
  readonly room: string;
  readonly fetch?: Fetch;
}

const minted = z.object({ token: z.string().min(1) });
const refusal = z.object({ error: z.string() });

export class CredentialRequestError extends Error {
  override readonly name = 'CredentialRequestError';
}

/** Ask the relay for a credential naming `replica` in the source's room, with the window rights. */
export async function requestWindowCredential(source: CredentialSource, replica: string): Promise<string> {
  const doFetch = source.fetch ?? fetch;
  const url = `${source.adminUrl.replace(/\/+$/, '')}/rooms/${encodeURIComponent(source.room)}/credentials`;
  let response: Response;
  try {
    response = await doFetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${source.adminCredential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ replica, rights: WINDOW_RIGHTS }),
      // A relay that does not answer must not hold a window's start for long.
      signal: AbortSignal.timeout(10_000),
    });
  } catch (error) {
    throw new CredentialRequestError(
      `cannot reach the relay at ${source.adminUrl}: ${(error as Error).message}`,
    );
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const why = refusal.safeParse(body);
    throw new CredentialRequestError(
      `the relay refused a credential for ${replica} in room ${source.room} (${response.status}${why.success ? `: ${why.data.error}` : ''})`,
    );
  }
  const parsed = minted.safeParse(body);
  if (!parsed.success)
    throw new CredentialRequestError('the relay answered a credential request without a token');
  return parsed.data.token;
}
