/**
 * One benchmark server in its own process, so that server and clients do not share a core:
 *   tsx bench/bench-server.ts converge|y-websocket
 *   tsx bench/bench-server.ts cluster REDIS_URL NODE_ID ADMIN_TOKEN   (one node of a relay cluster)
 *   tsx bench/bench-server.ts converge-storage DATA_DIR   (ours with a storage peer per room, as the app runs it)
 * Prints {"port": N} on stdout when listening (ours adds {"adminToken": T}, which mints the clients'
 * credentials); exits when stdin closes or on SIGTERM.
 */
import { createServer } from 'node:http';
import { setupWSConnection } from '@y/websocket-server/utils';
import { WebSocketServer } from 'ws';
import { redisCluster } from '../src/cluster/index.ts';
import { createRelay } from '../src/index.ts';
import { storagePeers } from '../src/storage/index.ts';

const kind = process.argv[2];
// A benchmark floods on purpose; the default per-connection rate limit would throttle it by design.
const limits = { framesPerSecond: 10_000_000, frameBurst: 10_000_000, rateLimitTolerance: 10_000_000 };

async function start(): Promise<{ port: number; adminToken?: string; close: () => Promise<void> }> {
  if (kind === 'converge') {
    const relay = await createRelay({ port: 0, logLevel: 'error', limits });
    return { port: relay.port, adminToken: relay.adminToken, close: () => relay.close() };
  }
  if (kind === 'converge-storage') {
    const [dataDir = ''] = process.argv.slice(3);
    const storage = storagePeers(dataDir);
    // A paste of a million characters makes frames larger than the default 1 MiB.
    const large = { ...limits, maxFrameBytes: 64 * 1024 * 1024, maxBufferedBytes: 256 * 1024 * 1024 };
    const relay = await createRelay({ port: 0, logLevel: 'error', limits: large, storage });
    return { port: relay.port, adminToken: relay.adminToken, close: () => relay.close() };
  }
  if (kind === 'cluster') {
    const [url = '', nodeId = '', adminToken = ''] = process.argv.slice(3);
    const cluster = redisCluster({ url, nodeId });
    const relay = await createRelay({
      port: 0,
      logLevel: 'error',
      limits,
      adminToken,
      ownership: cluster.ownership,
    });
    return { port: relay.port, adminToken, close: () => relay.close() };
  }
  if (kind === 'y-websocket') {
    // The reference server exactly as its own server.js wires it up.
    const wss = new WebSocketServer({ noServer: true });
    wss.on('connection', setupWSConnection);
    const server = createServer((_req, res) => res.end('okay'));
    server.on('upgrade', (req, socket, head) => {
      wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    return {
      port,
      close: async () => {
        for (const ws of wss.clients) ws.terminate();
        server.closeAllConnections();
        await new Promise((resolve) => server.close(resolve));
      },
    };
  }
  throw new Error(`unknown server kind ${kind}; use converge or y-websocket`);
}

const running = await start();
process.stdout.write(`${JSON.stringify({ port: running.port, adminToken: running.adminToken })}\n`);
const stop = (): void => {
  running.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.stdin.on('end', stop);
process.stdin.resume();
process.on('SIGTERM', stop);
