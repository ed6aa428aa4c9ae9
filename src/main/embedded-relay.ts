/** The relay from @converge/sync-server, started in this process (Electron main or web mode). */
import { createRelay } from '@converge/sync-server';
import type { StartRelay } from './relay-host.ts';

export const startEmbeddedRelay: StartRelay = async ({ host, port, dataDir, allowedOrigins, adminToken }) => {
  // Warnings and errors only: the app's console is not the place for one line per join.
  const relay = await createRelay({ host, port, dataDir, allowedOrigins, adminToken, logLevel: 'warn' });
  return {
    url: relay.url,
    adminUrl: relay.adminUrl,
    mintCredential: (request) => relay.mintCredential(request),
    close: () => relay.close(),
  };
};
