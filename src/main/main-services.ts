/**
 * Everything the main process does that is not Electron API calls, put together: settings, the
 * relay, replica stores, the window list and the IPC handlers. index.ts creates this once and only
 * adds windows, menus and protocol wiring around it, so this whole layer is tested in plain Node.
 *
 * User-data layout:
 *   settings.json        hand-edited settings (relayUrl, room, adminToken for a remote relay); never written by the app
 *   window-state.json    open windows and their bounds
 *   replicas/<id>/       one durable log per replica
 *   relay/               the embedded relay's data
 */
import { access } from 'node:fs/promises';
import { join } from 'node:path';
import { describeDamage } from '@converge/replica/node';
import type { IpcChannel, WindowConfig } from '../preload/api.ts';
import { createIpcHandlers, type IpcHandler, type WindowOpeners } from './ipc-handlers.ts';
import { type RelayEndpoint, type StartRelay, startRelayHost } from './relay-host.ts';
import { newReplicaId } from './replica-id.ts';
import { ReplicaStores, replicasRoot } from './replica-stores.ts';
import { APP_ORIGIN, contentSecurityPolicy, createAppUrlPolicy } from './security.ts';
import { loadSettings, type Settings } from './settings.ts';
import { WindowRegistry } from './window-registry.ts';
import { loadWindowState, type WindowRecord, WindowStateStore, windowsToOpen } from './window-state.ts';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

export interface MainServicesOptions {
  readonly userData: string;
  readonly argv: readonly string[];
  readonly startRelay: StartRelay;
  readonly randomBytes: (length: number) => Uint8Array;
  readonly log: Logger;
  /** The Vite dev server's URL in development (ELECTRON_RENDERER_URL); undefined for a built app. */
  readonly devServerUrl?: string;
  readonly now?: () => number;
}

export interface MainServices {
  readonly settings: Settings;
  readonly relay: RelayEndpoint;
  readonly stores: ReplicaStores;
  readonly windowState: WindowStateStore;
  readonly registry: WindowRegistry;
  /** The windows to open at start (restored ones, or one new replica). */
  readonly initialWindows: readonly WindowRecord[];
  /** The renderer's Content-Security-Policy. */
  readonly csp: string;
  isAppUrl(url: string): boolean;
  /** The window's configuration, with its own room credential (minted once per replica). */
  windowConfig(replicaId: string): Promise<WindowConfig>;
  /** A fresh replica id not used by any window or folder. */
  allocateReplicaId(): Promise<string>;
  /** Replicas with data on disk but no open window. */
  closedReplicas(): Promise<string[]>;
  createIpcHandlers(windows: WindowOpeners): Record<IpcChannel, IpcHandler>;
  /** Flush the window list, close every store, stop the embedded relay. Idempotent. */
  shutdown(): Promise<void>;
}

export async function startMainServices(options: MainServicesOptions): Promise<MainServices> {
  const { userData, log } = options;
  const settings = await loadSettings({
    argv: options.argv,
    settingsPath: join(userData, 'settings.json'),
    warn: log.warn,
  });
  const loadedWindows = await loadWindowState({
    path: join(userData, 'window-state.json'),
    warn: log.warn,
    ...(options.now !== undefined ? { now: options.now } : {}),
  });
  const stores = new ReplicaStores({
    root: replicasRoot(userData),
    onDamage: (replicaId, damage) => log.warn(`replica ${replicaId}: repaired ${describeDamage(damage)}`),
  });
  const windowState = new WindowStateStore(
    join(userData, 'window-state.json'),
    loadedWindows.windows,
    (error) => log.error(`could not save the window list: ${(error as Error).message}`),
  );
  const registry = new WindowRegistry();
  const relay = await startRelayHost({
    settings,
    dataDir: join(userData, 'relay'),
    startRelay: options.startRelay,
    // Windows load from converge://app, which the relay does not know as a local origin.
    allowedOrigins: [APP_ORIGIN],
    generateSecret: () => Buffer.from(options.randomBytes(32)).toString('base64url'),
  });
  log.info(
    relay.embedded ? `embedded relay listening at ${relay.relayUrl}` : `using remote relay ${relay.relayUrl}`,
  );

  const isAppUrl = createAppUrlPolicy(options.devServerUrl);
  const csp = contentSecurityPolicy({
    connectTo: [
      relay.relayUrl,
      relay.adminUrl,
      ...(options.devServerUrl !== undefined ? [devSocket(options.devServerUrl)] : []),
    ],
    dev: options.devServerUrl !== undefined,
  });

  // One credential per replica for the life of this process: a reloaded window gets the same one, so
  // its new connection may replace its old one at the relay; no other holder can.
  const credentials = new Map<string, Promise<string>>();
  const credentialFor = (replicaId: string, room: string): Promise<string> => {
    let credential = credentials.get(replicaId);
    if (credential === undefined) {
      credential = relay.credentialFor(replicaId, room);
      credentials.set(replicaId, credential);
      credential.catch(() => credentials.delete(replicaId)); // a later reload asks again
    }
    return credential;
  };
  const windowConfig = async (replicaId: string): Promise<WindowConfig> => {
    // A replica stays in the room its window was opened for (a room link's), else the app's room.
    const room = windowState.list().find((w) => w.replicaId === replicaId)?.room ?? settings.room;
    const config = { replicaId, room, relayUrl: relay.relayUrl, adminUrl: relay.adminUrl };
    try {
      return { ...config, token: await credentialFor(replicaId, room) };
    } catch (error) {
      // The window still opens and works offline; it asks again before connecting.
      const problem = (error as Error).message;
      log.warn(`no credential for replica ${replicaId} yet: ${problem}`);
      return { ...config, credentialProblem: problem };
    }
  };

  const folderExists = async (replicaId: string): Promise<boolean> => {
    try {
      await access(stores.folderOf(replicaId));
      return true;
    } catch {
      return false;
    }
  };
  const listed = (replicaId: string): boolean => windowState.list().some((w) => w.replicaId === replicaId);
  const allocateReplicaId = async (): Promise<string> => {
    // With ~51 random bits a clash is already unlikely; many in a row means the byte source is broken.
    for (let attempt = 0; attempt < 100; attempt++) {
      const id = newReplicaId(options.randomBytes);
      if (!registry.hasReplica(id) && !listed(id) && !(await folderExists(id))) return id;
    }
    throw new Error('could not find an unused replica id in 100 attempts (is the random source stuck?)');
  };

  // Generated up front so the first window of a fresh install gets an id nobody else holds.
  const fresh = loadedWindows.windows.length === 0 ? await allocateReplicaId() : undefined;
  const initialWindows = windowsToOpen(loadedWindows.windows, () => fresh!);

  let stopping: Promise<void> | undefined;
  const shutdown = (): Promise<void> => {
    stopping ??= (async () => {
      windowState.beginQuit();
      const results = await Promise.allSettled([windowState.flush(), stores.closeAll(), relay.close()]);
      for (const r of results) {
        if (r.status === 'rejected')
          log.error(`shutdown: ${(r.reason as Error)?.message ?? String(r.reason)}`);
      }
    })();
    return stopping;
  };

  return {
    settings,
    relay,
    stores,
    windowState,
    registry,
    initialWindows,
    csp,
    isAppUrl,
    windowConfig,
    allocateReplicaId,
    closedReplicas: async () => (await stores.list()).filter((id) => !registry.hasReplica(id)),
    createIpcHandlers: (windows) =>
      createIpcHandlers({
        senders: { replicaFor: (id) => registry.replicaFor(id), isAppUrl },
        logs: stores,
        windowConfig,
        windows,
      }),
    shutdown,
  };
}

/** The dev server's HMR socket origin (same host and port, ws:). */
function devSocket(devServerUrl: string): string {
  const url = new URL(devServerUrl);
  return `${url.protocol === 'https:' ? 'wss:' : 'ws:'}//${url.host}`;
}
