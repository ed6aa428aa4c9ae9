/**
 * App settings: which relay to use and which room to join.
 *
 * Sources, strongest first: command-line flags (`--relay`, `--room`, `--admin-token`), then
 * <userData>/settings.json (edited by the user; the app never writes it), then defaults (the embedded
 * relay on 127.0.0.1, room "default"). A bad flag is a usage error the caller reports; a bad field in
 * the settings file is a warning and that field is ignored, so a typo there never stops the app.
 */
import { readFile } from 'node:fs/promises';

export const DEFAULT_ROOM = 'default';

export interface Settings {
  /** A remote relay's WebSocket URL; undefined = start the embedded relay. */
  readonly relayUrl?: string;
  readonly room: string;
  /**
   * A remote relay's admin credential: its admin token, or a room credential with admin rights for
   * `room`. The app keeps it and mints each window's own credential with it.
   */
  readonly adminToken?: string;
}

/** What the command line may set; anything it leaves undefined falls through to the file. */
export interface CliSettings {
  readonly relayUrl?: string;
  readonly room?: string;
  readonly adminToken?: string;
}

export type CliParse =
  | { readonly ok: true; readonly settings: CliSettings }
  | { readonly ok: false; readonly error: string };

const ROOM_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
/** A room credential (JWT) is a few hundred characters; the relay accepts up to 2048. */
const MAX_TOKEN_LENGTH = 2048;

export function isValidRoom(value: unknown): value is string {
  return typeof value === 'string' && ROOM_PATTERN.test(value);
}

/** The normalized URL of a relay (`ws:` or `wss:`, no credentials), or an explanation of what is wrong. */
export function parseRelayUrl(value: string): { ok: true; url: string } | { ok: false; error: string } {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return { ok: false, error: `relay URL ${JSON.stringify(value)} is not a URL (expected ws://host:port)` };
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    return { ok: false, error: `relay URL ${JSON.stringify(value)} must use ws: or wss:` };
  }
  if (url.username !== '' || url.password !== '') {
    return { ok: false, error: 'relay URL must not contain credentials (use --admin-token)' };
  }
  if (url.hash !== '') return { ok: false, error: 'relay URL must not contain a #fragment' };
  return { ok: true, url: url.href };
}

const FLAGS = { '--relay': 'relayUrl', '--room': 'room', '--admin-token': 'adminToken' } as const;
type Flag = keyof typeof FLAGS;

function isFlag(name: string): name is Flag {
  return Object.hasOwn(FLAGS, name);
}

/**
 * Read our flags from a process's arguments (`--relay ws://h:1`, `--relay=ws://h:1`, same for
 * `--room` and `--admin-token`). Other arguments (Electron's and Chromium's own) are ignored.
 */
export function parseCliArgs(argv: readonly string[]): CliParse {
  const found: { relayUrl?: string; room?: string; adminToken?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const eq = arg.indexOf('=');
    const name = eq === -1 ? arg : arg.slice(0, eq);
    if (!isFlag(name)) continue;
    let value: string | undefined;
    if (eq !== -1) {
      value = arg.slice(eq + 1);
    } else {
      value = argv[i + 1];
      if (value === undefined || value.startsWith('--')) return { ok: false, error: `${name} needs a value` };
      i++;
    }
    const checked = checkValue(FLAGS[name], value);
    if (!checked.ok) return { ok: false, error: `${name}: ${checked.error}` };
    found[FLAGS[name]] = checked.value;
  }
  return { ok: true, settings: found };
}

function checkValue(
  key: (typeof FLAGS)[Flag],
  value: string,
): { ok: true; value: string } | { ok: false; error: string } {
  switch (key) {
    case 'relayUrl': {
      const parsed = parseRelayUrl(value);
      return parsed.ok ? { ok: true, value: parsed.url } : parsed;
    }
    case 'room':
      return isValidRoom(value)
        ? { ok: true, value }
        : {
            ok: false,
            error: `room ${JSON.stringify(value)} must be 1-64 of A-Z a-z 0-9 _ . - (not starting with _ . -)`,
          };
    case 'adminToken':
      return value.length > 0 && value.length <= MAX_TOKEN_LENGTH
        ? { ok: true, value }
        : { ok: false, error: `admin token must be 1-${MAX_TOKEN_LENGTH} characters` };
  }
}

/**
 * Parse settings.json text; returns the valid fields and one warning per problem. The file is
 * hand-edited, so each field is checked on its own: one bad field costs only that field.
 */
export function parseSettingsFile(text: string): { settings: CliSettings; warnings: string[] } {
  const warnings: string[] = [];
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return {
      settings: {},
      warnings: [`settings file is not valid JSON (${(error as Error).message}); ignored`],
    };
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    return { settings: {}, warnings: ['settings file must hold a JSON object; ignored'] };
  }
  const fields = json as Record<string, unknown>;
  const settings: { relayUrl?: string; room?: string; adminToken?: string } = {};
  for (const key of ['relayUrl', 'room', 'adminToken'] as const) {
    const value = Object.hasOwn(fields, key) ? fields[key] : undefined;
    if (value === undefined || value === null || value === '') continue;
    if (typeof value !== 'string') {
      warnings.push(`settings.${key} must be a string; ignored`);
      continue;
    }
    const checked = checkValue(key, value);
    if (checked.ok) settings[key] = checked.value;
    else warnings.push(`settings.${key}: ${checked.error}; ignored`);
  }
  return { settings, warnings };
}

/** Combine the sources: flags over file over defaults. */
export function resolveSettings(cli: CliSettings, file: CliSettings): Settings {
  const relayUrl = cli.relayUrl ?? file.relayUrl;
  const adminToken = cli.adminToken ?? file.adminToken;
  return {
    room: cli.room ?? file.room ?? DEFAULT_ROOM,
    ...(relayUrl !== undefined ? { relayUrl } : {}),
    ...(adminToken !== undefined ? { adminToken } : {}),
  };
}

/**
 * Load settings from the command line and the settings file. Throws only for bad flags (a usage
 * error); a missing file is normal and an unreadable or invalid one is reported through `warn`.
 */
export async function loadSettings(options: {
  readonly argv: readonly string[];
  readonly settingsPath: string;
  readonly warn: (message: string) => void;
}): Promise<Settings> {
  const cli = parseCliArgs(options.argv);
  if (!cli.ok) throw new SettingsError(cli.error);
  let file: CliSettings = {};
  let text: string | undefined;
  try {
    text = await readFile(options.settingsPath, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      options.warn(`cannot read ${options.settingsPath}: ${(error as Error).message}; using defaults`);
    }
  }
  if (text !== undefined) {
    const parsed = parseSettingsFile(text);
    for (const w of parsed.warnings) options.warn(`${options.settingsPath}: ${w}`);
    file = parsed.settings;
  }
  return resolveSettings(cli.settings, file);
}

export class SettingsError extends Error {
  override readonly name = 'SettingsError';
}
