/**
 * What a window needs to start: its replica id, the room, where the relay and its admin API are, and
 * its room credential. In Electron main hands it over (preload API); in web mode /config.json gives the
 * room and URLs, the page URL carries the replica id and POST /credentials the credential. All are
 * validated here, with an error that names the bad field.
 */
import { idProblem } from '@converge/protocol';
import { z } from 'zod';

export interface WindowConfig {
  readonly replicaId: string;
  readonly room: string;
  readonly relayUrl: string;
  readonly adminUrl: string;
}

/**
 * The window's room credential, asked for when needed (hello, admin calls): a window opens without one
 * (offline, remote relay unreachable) and gets it once it can. Resolves to the same credential once
 * obtained, so the window's reconnects may replace its own stale connection at the relay.
 */
export type CredentialProvider = () => Promise<string>;

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

const id = (what: string) =>
  z.string().superRefine((value, ctx) => {
    const problem = idProblem(value);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `${what} ${problem}` });
  });

const url = (protocols: readonly string[]) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    `must be a ${protocols.join(' or ')} URL`,
  );

const webConfig = z.object({
  room: id('room'),
  relayUrl: url(['ws:', 'wss:']),
  adminUrl: url(['http:', 'https:']),
});

const windowConfig = webConfig.extend({
  replicaId: id('replica id'),
  token: z.string().min(1).max(2048).optional(),
  credentialProblem: z.string().max(2000).optional(),
});

function check<T>(schema: z.ZodType<T>, value: unknown, source: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new ConfigError(`bad configuration from ${source}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

export function parseWebConfig(value: unknown): Omit<WindowConfig, 'replicaId'> {
  return check(webConfig, value, '/config.json');
}

/** What Electron's main hands a window: its configuration and, when it could get one, its credential. */
export function parseWindowConfig(
  value: unknown,
): WindowConfig & { readonly token?: string; readonly credentialProblem?: string } {
  return check(windowConfig, value, 'the app');
}

/**
 * The replica id a web page hosts: `?replica=` when present and valid, else a fresh one, with the URL to
 * put in the address bar (history.replaceState) so that a reload keeps the same replica and its data.
 */
export function replicaFromPageUrl(
  href: string,
  randomUint32: () => number,
): { readonly replicaId: string; readonly replaceUrl?: string } {
  const page = new URL(href);
  const given = page.searchParams.get('replica');
  if (given !== null && idProblem(given) === undefined) return { replicaId: given };
  const replicaId = freshReplicaId(randomUint32);
  page.searchParams.set('replica', replicaId);
  return { replicaId, replaceUrl: page.href };
}

/** "r-" and 7 base-36 characters: short enough to read, valid as a relay node id and in scenario files. */
export function freshReplicaId(randomUint32: () => number): string {
  const alphabet = '0123456789abcdefghijklmnopqrstuvwxyz';
  let id = 'r-';
  for (let i = 0; i < 7; i++) id += alphabet[randomUint32() % alphabet.length];
  return id;
}
