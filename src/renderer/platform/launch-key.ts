/**
 * Web mode's launch key, on the page side. `npm run web` prints the page URL with a secret after
 * `#key=`; the page keeps it in its origin's localStorage (so tabs opened later, reloads and "new
 * replica" tabs have it too) and takes it out of the address bar. With it the page asks web mode for
 * a room credential naming its own replica id (POST /credentials). See src/main/tab-credentials.ts.
 */
import { z } from 'zod';
import { ConfigError } from './window-config.ts';

export const LAUNCH_KEY_STORAGE_KEY = 'converge.launchKey';

const KEY_PATTERN = /^[\w-]{16,128}$/;

export interface LaunchKey {
  /** The key to present, if the page has one. */
  readonly key: string | undefined;
  /** Store this under LAUNCH_KEY_STORAGE_KEY (a key that came with the URL). */
  readonly store?: string;
  /** The page URL without the key, for history.replaceState. */
  readonly replaceUrl?: string;
}

/** The key in the page URL's `#key=` (which wins: it is the latest launch), else the stored one. */
export function launchKeyFromPage(href: string, stored: string | null): LaunchKey {
  const page = new URL(href);
  const fromUrl = new URLSearchParams(page.hash.slice(1)).get('key');
  if (fromUrl === null) return { key: stored !== null && KEY_PATTERN.test(stored) ? stored : undefined };
  page.hash = '';
  const replaceUrl = page.href.replace(/#$/, '');
  if (!KEY_PATTERN.test(fromUrl)) return { key: undefined, replaceUrl };
  return { key: fromUrl, store: fromUrl, replaceUrl };
}

/**
 * The key in what a user pastes when a page asks for it: a room link (its `#key=`) or the key itself;
 * undefined when it holds none.
 */
export function keyFromPasted(text: string): string | undefined {
  const trimmed = text.trim();
  if (KEY_PATTERN.test(trimmed)) return trimmed;
  const at = trimmed.indexOf('#');
  if (at < 0) return undefined;
  const key = new URLSearchParams(trimmed.slice(at + 1)).get('key');
  return key !== null && KEY_PATTERN.test(key) ? key : undefined;
}

const credential = z.object({ token: z.string().min(1).max(2048) });
const refusal = z.object({ error: z.string() });

/** Ask web mode for this tab's credential. Throws ConfigError with web mode's own explanation. */
export async function requestTabCredential(
  key: string | undefined,
  replicaId: string,
  doFetch: (input: string, init?: RequestInit) => Promise<Response>,
  room?: string,
): Promise<string> {
  if (key === undefined) {
    throw new ConfigError(
      'this page was opened without its launch key: open the URL that npm run web printed (it ends in #key=…)',
    );
  }
  let response: Response;
  try {
    response = await doFetch('/credentials', {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(room === undefined ? { replica: replicaId } : { replica: replicaId, room }),
      cache: 'no-store',
    });
  } catch (error) {
    throw new ConfigError(`cannot reach web mode for a credential: ${(error as Error).message}`);
  }
  const body: unknown = await response.json().catch(() => undefined);
  if (!response.ok) {
    const why = refusal.safeParse(body);
    throw new ConfigError(
      `no credential for this tab (${response.status}): ${why.success ? why.data.error : 'web mode refused'}`,
    );
  }
  const parsed = credential.safeParse(body);
  if (!parsed.success) throw new ConfigError('web mode answered a credential request without a token');
  return parsed.data.token;
}
