/**
 * The relay the app's windows talk to: the configured remote relay if there is one, otherwise an
 * embedded relay started in this process on 127.0.0.1 on a free port, with its data under userData.
 */
import type { Settings } from './settings.ts';

/** What the host needs from the relay package (createRelay from @converge/sync-server). */
export interface RelayOptions {
  readonly host: string;
  readonly port: number;
  readonly dataDir: string;
  /** Browser origins besides localhost pages that may connect (the Electron app's own origin). */
  readonly allowedOrigins: readonly string[];
}

export interface RunningRelay {
  /** WebSocket URL with the real port. */
  readonly url: string;
  /** HTTP base URL of its admin API. */
  readonly adminUrl: string;
  close(): Promise<void>;
}

export type StartRelay = (options: RelayOptions) => Promise<RunningRelay>;

export interface RelayEndpoint {
  readonly relayUrl: string;
  readonly adminUrl: string;
  readonly adminToken?: string;
  /** True when this process runs the relay (and must close it). */
  readonly embedded: boolean;
  close(): Promise<void>;
}

export const LOOPBACK_HOST = '127.0.0.1';

/** The admin API's base URL for a relay URL: same host and port, http(s) instead of ws(s). */
export function adminUrlFor(relayUrl: string): string {
  const url = new URL(relayUrl);
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') throw new Error(`not a relay URL: ${relayUrl}`);
  return `${url.protocol === 'wss:' ? 'https:' : 'http:'}//${url.host}`;
}

export async function startRelayHost(options: {
  readonly settings: Settings;
  /** Where the embedded relay keeps its data (its storage peers). */
  readonly dataDir: string;
  readonly startRelay: StartRelay;
  /** Port for the embedded relay; 0 (default) picks a free one. */
  readonly port?: number;
  /** Origins the embedded relay must accept besides localhost pages. */
  readonly allowedOrigins?: readonly string[];
}): Promise<RelayEndpoint> {
  const { settings } = options;
  const token = settings.adminToken !== undefined ? { adminToken: settings.adminToken } : {};
  if (settings.relayUrl !== undefined) {
    return {
      relayUrl: settings.relayUrl,
      adminUrl: adminUrlFor(settings.relayUrl),
      ...token,
      embedded: false,
      close: async () => {},
    };
  }
  const relay = await options.startRelay({
    host: LOOPBACK_HOST,
    port: options.port ?? 0,
    dataDir: options.dataDir,
    allowedOrigins: options.allowedOrigins ?? [],
  });
  let closing: Promise<void> | undefined;
  return {
    relayUrl: relay.url,
    adminUrl: relay.adminUrl,
    ...token,
    embedded: true,
    close: () => {
      closing ??= relay.close();
      return closing;
    },
  };
}
