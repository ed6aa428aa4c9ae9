/**
 * Web mode's two secrets, kept in its data folder so that restarting `npm run web` on the same folder
 * keeps the tabs that are open working: the launch key (the tabs hold it in localStorage and ask for
 * credentials with it) and the embedded relay's admin token (the tabs' credentials are signed with a key
 * derived from it, so they stay valid across the restart and the tabs reconnect by themselves).
 *
 * The file is `<dataDir>/.web-mode-secrets.json` (a name no room can have: room ids start with a letter
 * or digit), readable by its owner only (0600), replaced crash-safely. Whoever can read the data folder
 * can read the rooms' data anyway. Delete the file to revoke every open tab (the next start makes new
 * secrets and prints a new URL).
 */
import { chmod, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { setAside, writeFileAtomically } from '@converge/replica/node';
import { z } from 'zod';

export const WEB_SECRETS_FILE = '.web-mode-secrets.json';

export interface WebSecrets {
  readonly launchKey: string;
  /** The embedded relay's admin token (unused with a remote relay, whose credential is configured). */
  readonly relayAdminToken: string;
}

const SECRET = z.string().regex(/^[\w-]{43}$/);
const FILE = z.strictObject({ version: z.literal(1), launchKey: SECRET, relayAdminToken: SECRET });

/**
 * The secrets stored in `dataDir`, or new ones (stored before they are returned). An unreadable or
 * malformed file is set aside as evidence, reported through `warn`, and replaced by new secrets.
 */
export async function loadWebSecrets(options: {
  readonly dataDir: string;
  /** 32 random bytes, base64url (43 characters). */
  readonly generate: () => string;
  readonly warn: (message: string) => void;
  readonly now?: () => number;
}): Promise<WebSecrets> {
  const path = join(options.dataDir, WEB_SECRETS_FILE);
  let text: string | undefined;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    const parsed = FILE.safeParse(parseJson(text));
    if (parsed.success) {
      // A copy made with other permissions (restored from a backup) gets its owner-only mode back.
      await chmod(path, 0o600);
      return { launchKey: parsed.data.launchKey, relayAdminToken: parsed.data.relayAdminToken };
    }
    const aside = await setAside(path, (options.now ?? Date.now)());
    options.warn(`${path} was not valid and was moved to ${aside}; open tabs need the newly printed URL`);
  }
  const secrets: WebSecrets = { launchKey: options.generate(), relayAdminToken: options.generate() };
  await writeFileAtomically(path, `${JSON.stringify({ version: 1, ...secrets })}\n`, { mode: 0o600 });
  return secrets;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
