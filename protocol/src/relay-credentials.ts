/**
 * Asking a relay for a room credential: `POST /rooms/ROOM/credentials` on its admin API with an admin
 * credential (the relay's admin token, or a credential for that room with admin rights), answered with
 * `{ "token": "..." }`. Every client that joins replicas on someone's behalf uses this: the app's main
 * process and web mode for their windows, the scenario runner for its replicas.
 */
import { errorMessage } from './error-message.ts';
import type { Right } from './frames.ts';

export interface CredentialRequestOptions {
  /** The relay admin API's base URL (http(s)://host:port). */
  readonly adminUrl: string;
  /** Sent as `Authorization: Bearer …`. */
  readonly adminCredential: string;
  readonly room: string;
  readonly replica: string;
  readonly rights: readonly Right[];
  /** Default: the global fetch. */
  readonly fetch?: (input: string, init?: RequestInit) => Promise<Response>;
  /** Give up on a relay that does not answer (default 10 s). */
  readonly timeoutMs?: number;
}

export class CredentialRequestError extends Error {
  override readonly name = 'CredentialRequestError';
}

export async function requestCredential(options: CredentialRequestOptions): Promise<string> {
  const { adminUrl, room, replica } = options;
  const url = `${adminUrl.replace(/\/+$/, '')}/rooms/${encodeURIComponent(room)}/credentials`;
  let response: Response;
  try {
    response = await (options.fetch ?? fetch)(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${options.adminCredential}`, 'content-type': 'application/json' },
      body: JSON.stringify({ replica, rights: options.rights }),
      signal: AbortSignal.timeout(options.timeoutMs ?? 10_000),
    });
  } catch (error) {
    throw new CredentialRequestError(`cannot reach the relay at ${adminUrl}: ${errorMessage(error)}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  const field = (name: string): unknown =>
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  if (!response.ok) {
    const why = field('error');
    throw new CredentialRequestError(
      `the relay refused a credential for ${replica} in room ${room} (${response.status}${typeof why === 'string' ? `: ${why}` : ''})`,
    );
  }
  const token = field('token');
  if (typeof token !== 'string' || token === '') {
    throw new CredentialRequestError('the relay answered a credential request without a token');
  }
  return token;
}

/**
 * A credential provider (RelayTransport's `token`) that keeps the first credential `obtain` yields and
 * asks again until then: a client's reconnects then present the same credential, so they may replace
 * its own stale connection at the relay, while a failure (relay unreachable) is retried next time.
 */
export function keepCredential(obtain: () => Promise<string>): () => Promise<string> {
  let kept: Promise<string> | undefined;
  return () => {
    kept ??= obtain().catch((error: unknown) => {
      kept = undefined;
      throw error;
    });
    return kept;
  };
}
