/**
 * `npm run server -- --port 4455 --data-dir ./data [--host 127.0.0.1] [--admin-token T] [--allowed-host H]…`
 * Runs the relay standalone until SIGINT or SIGTERM, then shuts down gracefully.
 */

import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { errorMessage } from '@converge/protocol';
import { authorities, clusterAuthorities } from './checkout/index.ts';
import { redisCluster } from './cluster/index.ts';
import { CLUSTER_REFUSAL, gatewaysRefused, interopGateways } from './interop/index.ts';
import { DEFAULT_LIMITS, type RelayLimits } from './limits.ts';
import { createLogger, isLogLevel, LOG_LEVELS } from './log.ts';
import { createRelay, RelayConfigError } from './relay.ts';
import { storagePeers } from './storage/index.ts';

const USAGE = `usage: relay [--port 4455] [--host 127.0.0.1] [--data-dir DIR] [--admin-token TOKEN]
             [--allowed-host NAME[:PORT]]... [--allow-origin ORIGIN]... [--log-level ${LOG_LEVELS.join('|')}]
             [--max-frame-bytes N] [--frames-per-second N] [--max-rooms N] [--max-nodes-per-room N]
             [--cluster redis://HOST:PORT --node-id ID [--lease-ms 5000] [--advertise-url ws://HOST:PORT]]
In a cluster every node of it uses the same admin token (credentials work on every node); room storage
lives in Redis (no --data-dir); a window may connect to any node.
The admin token may also come from CONVERGE_RELAY_ADMIN_TOKEN (other local users can read command
lines, not environments); without either, one is generated and printed on stderr. Every join needs a
room credential: POST /rooms/ROOM/credentials with Authorization: Bearer ADMIN_TOKEN.
Requests must name the relay as 127.0.0.1, localhost, [::1], the --host address or an --allowed-host.`;

/** A bad command line: reported with the usage, exit code 2 (a failure to run is 1). */
class UsageError extends Error {
  override readonly name = 'UsageError';
}

function positiveInt(name: string, value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new UsageError(`--${name} must be a non-negative integer, got ${value}`);
  return n;
}

function parseCommandLine() {
  try {
    return parseArgs({
      options: {
        port: { type: 'string', default: '4455' },
        host: { type: 'string', default: '127.0.0.1' },
        'data-dir': { type: 'string' },
        'admin-token': { type: 'string' },
        'allowed-host': { type: 'string', multiple: true },
        'log-level': { type: 'string', default: 'info' },
        'allow-origin': { type: 'string', multiple: true },
        'max-frame-bytes': { type: 'string' },
        'frames-per-second': { type: 'string' },
        'max-rooms': { type: 'string' },
        'max-nodes-per-room': { type: 'string' },
        cluster: { type: 'string' },
        'node-id': { type: 'string' },
        'lease-ms': { type: 'string' },
        'advertise-url': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(errorMessage(error));
  }
}

function clusterOf(values: ReturnType<typeof parseCommandLine>['values'], adminToken: string | undefined) {
  const url = values.cluster;
  const clusterOnly = ['node-id', 'lease-ms', 'advertise-url'] as const;
  if (url === undefined) {
    for (const flag of clusterOnly)
      if (values[flag] !== undefined) throw new UsageError(`--${flag} needs --cluster`);
    return undefined;
  }
  if (!/^rediss?:\/\//.test(url)) throw new UsageError(`--cluster takes a redis:// URL, got ${url}`);
  const nodeId = values['node-id'];
  if (nodeId === undefined) throw new UsageError('--cluster needs --node-id (unique per node)');
  if (values['data-dir'] !== undefined) {
    throw new UsageError(
      "in a cluster a room's storage lives in Redis so any node can resume it; drop --data-dir",
    );
  }
  if (adminToken === undefined) {
    throw new UsageError('every node of a cluster needs the same --admin-token (it signs the credentials)');
  }
  try {
    const leaseMs = positiveInt('lease-ms', values['lease-ms']);
    return redisCluster({
      url,
      nodeId,
      ...(leaseMs === undefined ? {} : { leaseMs }),
      ...(values['advertise-url'] === undefined ? {} : { advertiseUrl: values['advertise-url'] }),
    });
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw new UsageError(errorMessage(error));
  }
}

async function main(): Promise<void> {
  const { values } = parseCommandLine();
  if (values.help === true) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const logLevel = values['log-level'];
  if (!isLogLevel(logLevel)) throw new UsageError(`--log-level must be one of ${LOG_LEVELS.join(', ')}`);
  const log = createLogger(logLevel);
  const limits: Partial<Record<keyof RelayLimits, number>> = {};
  const limitFlags = {
    'max-frame-bytes': 'maxFrameBytes',
    'frames-per-second': 'framesPerSecond',
    'max-rooms': 'maxRooms',
    'max-nodes-per-room': 'maxNodesPerRoom',
  } as const;
  for (const [flag, limit] of Object.entries(limitFlags)) {
    const value = positiveInt(flag, values[flag as keyof typeof limitFlags]);
    if (value !== undefined) limits[limit] = value;
  }
  // Keep the burst in proportion when only the rate is raised.
  if (limits.framesPerSecond !== undefined) {
    limits.frameBurst = Math.max(DEFAULT_LIMITS.frameBurst, limits.framesPerSecond * 2);
  }
  const adminToken = values['admin-token'] ?? process.env.CONVERGE_RELAY_ADMIN_TOKEN;
  if (adminToken === '') throw new UsageError('--admin-token must not be empty');
  const dataDir =
    values['data-dir'] === undefined
      ? undefined
      : resolve(process.env.INIT_CWD ?? process.cwd(), values['data-dir']);
  const cluster = clusterOf(values, adminToken);
  const relay = await createRelay({
    port: positiveInt('port', values.port) ?? 4455,
    host: values.host,
    ...(adminToken !== undefined ? { adminToken } : {}),
    allowedHosts: values['allowed-host'] ?? [],
    // `npm run server -w …` runs in the workspace folder; relative paths mean the caller's folder.
    ...(cluster !== undefined
      ? {
          ownership: cluster.ownership,
          storage: cluster.storage,
          authority: clusterAuthorities({ redis: cluster.redis, location: values.cluster ?? '' }),
        }
      : dataDir === undefined
        ? {}
        : { storage: storagePeers(dataDir), authority: authorities(dataDir) }),
    allowedOrigins: values['allow-origin'] ?? [],
    // Stock y-websocket clients at /yjs/ROOM, automerge-repo clients at /automerge; their documents are
    // kept under --data-dir. A cluster refuses them: see gatewaysRefused.
    gateways:
      cluster !== undefined
        ? gatewaysRefused(CLUSTER_REFUSAL)
        : interopGateways(dataDir === undefined ? {} : { dataDir }),
    limits,
    logger: log,
  });
  if (adminToken === undefined) {
    // Not in the JSON log, which may be shipped elsewhere: the operator's terminal only.
    process.stderr.write(`admin token (generated; set one with --admin-token): ${relay.adminToken}\n`);
  } else if (adminToken.length < 16) {
    log.warn('weak-admin-token', { detail: 'the admin token is shorter than 16 characters' });
  }
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) {
      log.warn('forced-exit', { signal });
      process.exit(1);
    }
    stopping = true;
    log.info('signal', { signal });
    relay.close().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error('shutdown-failed', { error: String(error) });
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

main().catch((error: unknown) => {
  if (error instanceof UsageError || error instanceof RelayConfigError) {
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exit(2);
  }
  process.stderr.write(`relay: ${errorMessage(error)}\n`);
  process.exit(1);
});
