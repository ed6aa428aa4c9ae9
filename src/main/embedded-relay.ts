/** The relay from @converge/sync-server, started in this process (Electron main or web mode). */
import { attachRelay, createRelay } from '@converge/sync-server';
import { authorities } from '@converge/sync-server/checkout';
import { interopGateways } from '@converge/sync-server/interop';
import { storagePeers } from '@converge/sync-server/storage';
import type { AttachRelay, StartRelay } from './relay-host.ts';

export const startEmbeddedRelay: StartRelay = async ({ host, port, dataDir, allowedOrigins, adminToken }) => {
  // Warnings and errors only: the app's console is not the place for one line per join.
  const relay = await createRelay({
    host,
    port,
    storage: storagePeers(dataDir),
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
      storage: storagePeers(dataDir),
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
