/** The relay from @converge/sync-server, started in this process (Electron main or web mode). */

import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { attachRelay, createRelay } from '@converge/sync-server';
import { authorities } from '@converge/sync-server/checkout';
import { interopGateways } from '@converge/sync-server/interop';
import { storagePeers } from '@converge/sync-server/storage';
import type { AttachRelay, StartRelay } from './relay-host.ts';

/**
 * The storage peers' worker as electron-vite builds it beside the main bundle (electron.vite.config.ts);
 * run from the sources (web mode under tsx), the relay finds its own.
 */
const BUNDLED_WORKER = new URL('./storage-peer-worker.js', import.meta.url);

function roomStorage(dataDir: string) {
  const bundled = existsSync(fileURLToPath(BUNDLED_WORKER));
  return storagePeers(dataDir, bundled ? { workerUrl: BUNDLED_WORKER } : {});
}

export const startEmbeddedRelay: StartRelay = async ({ host, port, dataDir, allowedOrigins, adminToken }) => {
  // Warnings and errors only: the app's console is not the place for one line per join.
  const relay = await createRelay({
    host,
    port,
    storage: roomStorage(dataDir),
    authority: authorities(dataDir),
    // Stock y-websocket and automerge-repo apps can join the app's rooms (with a credential).
    gateways: interopGateways({ dataDir }),
    allowedOrigins,
    adminToken,
    logLevel: 'warn',
  });
  return {
    url: relay.url,
    adminUrl: relay.adminUrl,
    mintCredential: (request) => relay.mintCredential(request),
    close: () => relay.close(),
  };
};

/**
 * The same relay, served on web mode's own HTTP server (its pages reach it on their own origin). Its
 * warnings go to `logSink` (default stdout, as the relay's log does).
 */
export function attachEmbeddedRelayLoggingTo(logSink?: (line: string) => void): AttachRelay {
  return async ({ mount, dataDir, adminToken }) => {
    const relay = await attachRelay({
      mount,
      storage: roomStorage(dataDir),
      authority: authorities(dataDir),
      gateways: interopGateways({ dataDir }),
      adminToken,
      logLevel: 'warn',
      ...(logSink === undefined ? {} : { logSink }),
    });
    return {
      url: relay.url,
      adminUrl: relay.adminUrl,
      mintCredential: (request) => relay.mintCredential(request),
      handleRequest: (req, res) => relay.handleRequest(req, res),
      handleUpgrade: (req, socket, head) => relay.handleUpgrade(req, socket, head),
      close: () => relay.close(),
    };
  };
}

export const attachEmbeddedRelay: AttachRelay = attachEmbeddedRelayLoggingTo();
