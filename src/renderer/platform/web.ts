/** Web mode: configuration from /config.json, the replica id in the page URL, data in IndexedDB. */

import { errorMessage } from '@converge/replica';
import { IndexedDbStore } from '@converge/replica/browser';
import type { WindowSetup } from '../platform.ts';
import { ConfigError, parseWebConfig, replicaFromPageUrl } from './window-config.ts';

export async function webSetup(): Promise<WindowSetup> {
  let body: unknown;
  try {
    const response = await fetch('/config.json', { cache: 'no-store' });
    if (!response.ok) throw new ConfigError(`GET /config.json answered ${response.status}`);
    body = await response.json();
  } catch (error) {
    if (error instanceof ConfigError) throw error;
    throw new ConfigError(`cannot load /config.json: ${errorMessage(error)}`);
  }
  const config = parseWebConfig(body);
  const random = (): number => crypto.getRandomValues(new Uint32Array(1))[0] as number;
  const { replicaId, replaceUrl } = replicaFromPageUrl(window.location.href, random);
  if (replaceUrl !== undefined) window.history.replaceState(null, '', replaceUrl);
  return {
    platform: 'web',
    config: { ...config, replicaId },
    store: new IndexedDbStore(replicaId),
    openNewReplica: () => {
      // A page without ?replica= creates a new replica with its own IndexedDB database.
      const url = new URL(window.location.href);
      url.searchParams.delete('replica');
      window.open(url.href, '_blank', 'noopener');
    },
  };
}
