/**
 * Web mode: configuration from /config.json, the replica id in the page URL, a credential for it from
 * POST /credentials (with the launch key), data in IndexedDB. A tab holds its replica id while it lives
 * (replica-claim.ts); a tab opened on an id another tab holds (the browser's "Duplicate tab") becomes a
 * new replica, says so, and puts the new id in its URL.
 */

import { errorMessage, keepCredential, realTimers } from '@converge/protocol';
import type { WindowSetup } from '../platform.ts';
import type { ConfigRequest } from './config-request.ts';
import {
  keyFromPasted,
  LAUNCH_KEY_STORAGE_KEY,
  launchKeyFromPage,
  requestTabCredential,
} from './launch-key.ts';
import { leaveThenGo } from './leave-room.ts';
import {
  broadcastHolds,
  claimReplica,
  type LockManagerLike,
  type ReplicaHolds,
  takenNotice,
  webLockHolds,
} from './replica-claim.ts';
import { freshRoomName, roomFromPageUrl, roomLink, storeNameFor, switchRoomUrl } from './room-link.ts';
import { ConfigError, freshReplicaId, parseWebConfig, replicaFromPageUrl } from './window-config.ts';

/** `configRequest`: GET /config.json already on its way (config-request.ts); else it is asked for here. */
export async function webSetup(configRequest?: ConfigRequest): Promise<WindowSetup> {
  const launch = launchKeyFromPage(window.location.href, readStored());
  if (launch.store !== undefined) writeStored(launch.store);
  if (launch.replaceUrl !== undefined) window.history.replaceState(null, '', launch.replaceUrl);
  let body: unknown;
  try {
    const response = await (configRequest ?? fetch('/config.json', { cache: 'no-store' }));
    if (!response.ok) throw new ConfigError(`GET /config.json answered ${response.status}`);
    body = await response.json();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`cannot load /config.json: ${errorMessage(error)}`);
  }
  const served = parseWebConfig(body);
  const inRoom = roomFromPageUrl(window.location.href, served.room);
  const config = { ...served, room: inRoom.room };
  const random = (): number => crypto.getRandomValues(new Uint32Array(1))[0] as number;
  const fromUrl = replicaFromPageUrl(window.location.href, random);
  const claim = await claimReplica(replicaHolds(), fromUrl.replicaId, () => freshReplicaId(random));
  const { replicaId } = claim;
  if (replicaId !== fromUrl.replicaId) {
    const url = new URL(window.location.href);
    url.searchParams.set('replica', replicaId);
    window.history.replaceState(null, '', url.href);
  } else if (fromUrl.replaceUrl !== undefined) {
    window.history.replaceState(null, '', fromUrl.replaceUrl);
  }
  const notice = [inRoom.problem, takenNotice(claim)].filter((n) => n !== undefined).join(' ') || undefined;
  const random32 = random;
  return {
    platform: 'web',
    config: { ...config, replicaId },
    // One credential per page load: two tabs showing one replica id never hold the same one, so the
    // relay never lets one replace the other's connection.
    credential: keepCredential(() =>
      requestTabCredential(launch.key, replicaId, (input, init) => fetch(input, init), config.room),
    ),
    store: { kind: 'indexeddb', name: storeNameFor(replicaId, config.room, served.room) },
    ...(notice === undefined ? {} : { notice }),
    ...(launch.key === undefined
      ? {
          provideKey: (pasted: string) => {
            const key = keyFromPasted(pasted);
            if (key === undefined) return false;
            writeStored(key);
            window.location.reload();
            return true;
          },
        }
      : {}),
    roomLink: (room) => roomLink(window.location.href, room, launch.key ?? readStored() ?? undefined),
    // The tab's worker ends with the page: its unsent edits go out first (leave-room.ts).
    openRoom: (room, leave) =>
      leaveThenGo(leave, () => window.location.assign(switchRoomUrl(window.location.href, room)), realTimers),
    freshRoomName: () => freshRoomName(random32),
    openNewReplica: () => {
      // A page without ?replica= creates a new replica with its own IndexedDB database.
      const url = new URL(window.location.href);
      url.searchParams.delete('replica');
      window.open(url.href, '_blank', 'noopener');
    },
  };
}

/** localStorage can be disabled (privacy settings); the key from the URL still works for this page. */
function readStored(): string | null {
  try {
    return window.localStorage.getItem(LAUNCH_KEY_STORAGE_KEY);
  } catch {
    return null;
  }
}

function writeStored(key: string): void {
  try {
    window.localStorage.setItem(LAUNCH_KEY_STORAGE_KEY, key);
  } catch {
    // Only tabs opened with the URL's key will have one.
  }
}

/** Web Locks where the browser has them (secure contexts: https, localhost), else the channel fallback. */
function replicaHolds(): ReplicaHolds {
  const locks = (navigator as { locks?: LockManagerLike }).locks;
  if (locks !== undefined) return webLockHolds(locks);
  return broadcastHolds(new BroadcastChannel('converge-replicas'), {
    waitMs: 250,
    nonce: () => crypto.getRandomValues(new Uint32Array(1))[0] as number,
  });
}
