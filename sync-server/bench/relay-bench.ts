/**
 * `npm run bench:relay [-- --clients 8 --frames 1000 --paced-rate 200 --paced-frames 600 --repeat 3]`
 *
 * N clients in one room each broadcast M Yjs updates (one map entry each), through our relay and
 * through the reference @y/websocket-server, in the same run. Each server runs in its own process;
 * the clients share this one. The payloads are the same real Yjs updates for both servers, and every
 * client decodes every delivery the same way (Y.parseUpdateMeta) to find out which update it is.
 *
 * Two workloads:
 *  - burst: every client sends all its frames as fast as it can → throughput (deliveries per second);
 *  - paced: every client sends at a fixed rate → delivery latency under moderate load.
 * Latency is measured from the send call to the receive handler, on this process's clock.
 *
 * With `--cluster N` it compares our relay alone with a cluster on a redis-server it starts: one node
 * (every client direct, the lease checks only), and N nodes with the clients spread over them, so most
 * of them are forwarded to the room's owner (the cost of forwarding across nodes).
 */

import { type ChildProcess, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  decodeFrame,
  encodeData,
  encodeFrame,
  PROTOCOL_VERSION,
  requestCredential,
} from '@converge/protocol';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import WebSocket from 'ws';
import * as syncProtocol from 'y-protocols/sync';
import * as Y from 'yjs';
import { startRedis } from '../test/redis-server.ts';

type ServerKind = 'converge' | 'y-websocket' | `cluster-${number}`;
type Mode = 'burst' | 'paced';

interface Workload {
  readonly clients: number;
  readonly frames: number;
  readonly valueBytes: number;
  /** Frames per second per client; 0 sends as fast as possible. */
  readonly ratePerClient: number;
}

interface RunResult {
  readonly server: ServerKind;
  readonly mode: Mode;
  readonly expected: number;
  readonly delivered: number;
  readonly seconds: number;
  readonly deliveriesPerSecond: number;
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What the benchmark needs from a client connection, whatever server it talks to. */
interface BenchClient {
  /** Resolves when the client is ready to take part (has joined and sees every peer). */
  readonly ready: Promise<void>;
  send(update: Uint8Array): void;
  close(): void;
}

const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '..', '..', 'node_modules', '.bin', 'tsx');

// --- servers ---------------------------------------------------------------------------------

/**
 * A running server: its port and, for ours, the admin token that mints the clients' credentials. A
 * cluster has one port per node; client i connects to node i mod N.
 */
interface StartedServer {
  readonly port: number;
  readonly ports?: readonly number[];
  readonly adminToken?: string;
}

type Stoppable = StartedServer & { stop: () => Promise<void> };

async function startServer(kind: ServerKind | 'cluster', args: readonly string[] = []): Promise<Stoppable> {
  const child: ChildProcess = spawn(tsx, [join(here, 'bench-server.ts'), kind, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const started = await new Promise<StartedServer>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
      const line = out.split('\n')[0];
      if (out.includes('\n') && line !== undefined) resolve(JSON.parse(line) as StartedServer);
    });
    child.on('exit', (code) => reject(new Error(`${kind} server exited with ${code}`)));
  });
  return {
    ...started,
    stop: () =>
      new Promise<void>((resolve) => {
        child.on('exit', () => resolve());
        child.stdin?.end();
      }),
  };
}

/** N relay nodes in a cluster on `redisUrl`, one process each. */
async function startCluster(nodes: number, redisUrl: string): Promise<Stoppable> {
  const adminToken = `bench-cluster-${process.pid}`;
  const started: Stoppable[] = [];
  for (let i = 0; i < nodes; i++) {
    started.push(await startServer('cluster', [redisUrl, `bench-${nodes}-n${i + 1}`, adminToken]));
  }
  return {
    port: started[0]?.port ?? 0,
    ports: started.map((s) => s.port),
    adminToken,
    stop: async () => {
      await Promise.all(started.map((s) => s.stop()));
    },
  };
}

// --- workload ---------------------------------------------------------------------------------

/** Client `index`'s updates: one map entry each, so update k carries clock k of client index+1. */
function makeUpdates(index: number, frames: number, valueBytes: number): Uint8Array[] {
  const doc = new Y.Doc();
  doc.clientID = index + 1;
  const updates: Uint8Array[] = [];
  doc.on('update', (update: Uint8Array) => updates.push(update));
  const map = doc.getMap('bench');
  const value = 'v'.repeat(valueBytes);
  for (let k = 0; k < frames; k++) map.set(`c${index}k${k}`, value);
  return updates;
}

/** Which (client, clock) an update carries: the first struct's id. */
function identify(update: Uint8Array): { client: number; clock: number } | undefined {
  const meta = Y.parseUpdateMeta(update);
  for (const [client, clock] of meta.from) return { client, clock };
  return undefined;
}

/** Connect; `onMessage` is attached before the handshake, so nothing sent right after it is missed. */
function open(url: string, onMessage: (data: Buffer) => void): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { perMessageDeflate: false });
    ws.binaryType = 'nodebuffer';
    ws.on('message', onMessage);
    ws.once('open', () => resolve(ws));
    ws.once('error', reject);
  });
}

async function connectConverge(
  server: StartedServer,
  room: string,
  index: number,
  clients: number,
  deliver: (update: Uint8Array) => void,
): Promise<BenchClient> {
  const id = `c${index}`;
  const ports = server.ports ?? [server.port];
  const port = ports[index % ports.length] ?? server.port;
  // Every client joins with its own credential, minted through the relay's admin API.
  const token = await requestCredential({
    adminUrl: `http://127.0.0.1:${port}`,
    adminCredential: server.adminToken ?? '',
    room,
    replica: id,
    rights: ['read', 'write'],
  });
  let reachable = 0;
  let joined: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    joined = resolve;
  });
  const ws = await open(`ws://127.0.0.1:${port}`, (data) => {
    const frame = decodeFrame(data);
    if (frame.type === 'data') deliver(frame.payload);
    else if (frame.type === 'welcome') reachable += frame.peers.filter((p) => p.reachable).length;
    else if (frame.type === 'link-up') reachable++;
    else if (frame.type === 'error') process.stderr.write(`relay error ${frame.code}: ${frame.message}\n`);
    if (reachable === clients - 1) joined();
  });
  ws.send(encodeFrame({ type: 'hello', version: PROTOCOL_VERSION, room, nodeId: id, role: 'tool', token }));
  return {
    ready,
    // Any channel will do: the relay forwards it uninterpreted (1 is the yjs engine's in the app).
    send: (update) => ws.send(encodeData(id, null, 1, update)),
    close: () => ws.close(),
  };
}

async function connectYWebsocket(
  port: number,
  room: string,
  deliver: (update: Uint8Array) => void,
): Promise<BenchClient> {
  let synced: () => void = () => {};
  const ready = new Promise<void>((resolve) => {
    synced = resolve;
  });
  const ws = await open(`ws://127.0.0.1:${port}/${room}`, (data) => {
    synced(); // the server opens with its sync step 1
    const decoder = decoding.createDecoder(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    if (decoding.readVarUint(decoder) !== 0) return; // awareness
    const syncType = decoding.readVarUint(decoder);
    if (syncType === syncProtocol.messageYjsUpdate || syncType === syncProtocol.messageYjsSyncStep2) {
      deliver(decoding.readVarUint8Array(decoder));
    }
  });
  return {
    ready,
    send: (update) => {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, 0);
      syncProtocol.writeUpdate(encoder, update);
      ws.send(encoding.toUint8Array(encoder));
    },
    close: () => ws.close(),
  };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

async function runOnce(
  server: ServerKind,
  mode: Mode,
  started: StartedServer,
  w: Workload,
  run: number,
): Promise<RunResult> {
  // One room per server and run: the clusters share one Redis, and a room the last cluster has not
  // released yet would send the next one's first windows to a node that is going away.
  const room = `bench-${server}-${mode}-${run}`;
  const updates = Array.from({ length: w.clients }, (_, i) => makeUpdates(i, w.frames, w.valueBytes));
  const sentAt = Array.from({ length: w.clients }, () => new Float64Array(w.frames));
  const expected = w.clients * (w.clients - 1) * w.frames;
  const latencies = new Float64Array(expected);
  let delivered = 0;
  let lastDelivery = 0;
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });

  const connections: BenchClient[] = [];
  for (let i = 0; i < w.clients; i++) {
    const self = i + 1;
    const deliver = (update: Uint8Array): void => {
      const id = identify(update);
      // The reference server echoes every update to its sender too; that is not a delivery.
      if (id === undefined || id.client === self) return;
      const at = performance.now();
      latencies[delivered++] = at - (sentAt[id.client - 1]?.[id.clock] ?? at);
      lastDelivery = at;
      if (delivered === expected) done();
    };
    connections.push(
      server === 'y-websocket'
        ? await connectYWebsocket(started.port, room, deliver)
        : await connectConverge(started, room, i, w.clients, deliver),
    );
  }
  await Promise.all(connections.map((c) => c.ready));

  const start = performance.now();
  const sendRange = (from: number, to: number): void => {
    for (let k = from; k < to; k++) {
      for (let i = 0; i < w.clients; i++) {
        sentAt[i]![k] = performance.now();
        connections[i]!.send(updates[i]![k]!);
      }
    }
  };
  if (w.ratePerClient === 0) {
    // As fast as possible, yielding between rounds so deliveries are read while sending.
    const chunk = 50;
    for (let k = 0; k < w.frames; k += chunk) {
      sendRange(k, Math.min(w.frames, k + chunk));
      await new Promise((resolve) => setImmediate(resolve));
    }
  } else {
    const tickMs = 10;
    const perTick = Math.max(1, Math.round((w.ratePerClient * tickMs) / 1000));
    for (let k = 0; k < w.frames; k += perTick) {
      const due = start + (k / perTick) * tickMs;
      const wait = due - performance.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      sendRange(k, Math.min(w.frames, k + perTick));
    }
  }
  const timeout = new Promise<void>((resolve) => setTimeout(resolve, 60_000).unref());
  await Promise.race([finished, timeout]);
  for (const c of connections) c.close();
  const seconds = (lastDelivery - start) / 1000;
  const sorted = latencies.slice(0, delivered).sort();
  return {
    server,
    mode,
    expected,
    delivered,
    seconds,
    deliveriesPerSecond: delivered / seconds,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? Number.NaN,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
}

const USAGE = `usage: npm run bench:relay -- [options]
  --clients N       clients in the room (default 8)
  --frames N        frames each client sends in the burst workload (default 1000)
  --value-bytes N   bytes of each update's value (default 64)
  --paced-rate N    frames per second per client in the paced workload (default 200)
  --paced-frames N  frames each client sends in the paced workload (default 600)
  --repeat N        runs per workload and server; figures are medians (default 3)
  --only MODE       burst or paced (default both)
  --cluster N       compare our relay alone with a cluster of 1 and of N nodes on a redis-server
                    this bench starts (instead of the reference server)
  -h, --help        this text`;

class UsageError extends Error {
  override readonly name = 'UsageError';
}

function parseOptions(argv: readonly string[]) {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        clients: { type: 'string', default: '8' },
        frames: { type: 'string', default: '1000' },
        'value-bytes': { type: 'string', default: '64' },
        'paced-rate': { type: 'string', default: '200' },
        'paced-frames': { type: 'string', default: '600' },
        repeat: { type: 'string', default: '3' },
        only: { type: 'string' },
        cluster: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  const count = (flag: string): number => {
    const n = Number(values[flag]);
    if (!Number.isSafeInteger(n) || n < 1)
      throw new UsageError(`--${flag} needs a positive integer, got ${String(values[flag])}`);
    return n;
  };
  const only = values.only;
  if (only !== undefined && only !== 'burst' && only !== 'paced') {
    throw new UsageError(`--only must be burst or paced, got ${String(only)}`);
  }
  return {
    help: values.help === true,
    clients: count('clients'),
    frames: count('frames'),
    valueBytes: count('value-bytes'),
    pacedRate: count('paced-rate'),
    pacedFrames: count('paced-frames'),
    repeat: count('repeat'),
    only: only as Mode | undefined,
    cluster: values.cluster === undefined ? undefined : count('cluster'),
  };
}

async function main(): Promise<void> {
  let options: ReturnType<typeof parseOptions>;
  try {
    options = parseOptions(process.argv.slice(2));
  } catch (error) {
    if (!(error instanceof UsageError)) throw error;
    process.stderr.write(`${error.message}\n\n${USAGE}\n`);
    process.exitCode = 2;
    return;
  }
  if (options.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const { clients, valueBytes, repeat } = options;
  const workloads: Record<Mode, Workload> = {
    burst: { clients, frames: options.frames, valueBytes, ratePerClient: 0 },
    paced: { clients, frames: options.pacedFrames, valueBytes, ratePerClient: options.pacedRate },
  };
  const modes: Mode[] = options.only !== undefined ? [options.only] : ['burst', 'paced'];
  const cluster = options.cluster;
  const servers: ServerKind[] =
    cluster === undefined ? ['converge', 'y-websocket'] : ['converge', 'cluster-1', `cluster-${cluster}`];
  const redis = cluster === undefined ? undefined : await startRedis();
  const started: Stoppable[] = [];
  for (const server of servers) {
    const nodes = server.startsWith('cluster-') ? Number(server.slice('cluster-'.length)) : 0;
    started.push(
      nodes > 0 && redis !== undefined ? await startCluster(nodes, redis.url) : await startServer(server),
    );
  }
  const results: RunResult[] = [];
  try {
    // Warm both servers (JIT, first-room setup) before measuring.
    for (const [s, server] of servers.entries()) {
      await runOnce(server, 'burst', started[s]!, { ...workloads.burst, frames: 300 }, -1);
    }
    for (let run = 0; run < repeat; run++) {
      for (const mode of modes) {
        // Alternate which server goes first so none always runs on a warmer machine.
        const order = servers.map((_, s) => s);
        if (run % 2 === 1) order.reverse();
        for (const s of order) {
          const result = await runOnce(servers[s]!, mode, started[s]!, workloads[mode], run);
          results.push(result);
          process.stderr.write(
            `${result.server} ${mode} run ${run}: ${Math.round(result.deliveriesPerSecond)} deliveries/s, ` +
              `p50 ${result.p50.toFixed(2)} ms, p99 ${result.p99.toFixed(2)} ms, ${result.delivered}/${result.expected}\n`,
          );
        }
      }
    }
  } finally {
    await Promise.all(started.map((s) => s.stop()));
    await redis?.stop();
  }

  const lines = [
    `relay benchmark: ${clients} clients in one room, Yjs map-entry updates (${valueBytes}-byte values), ` +
      `median of ${repeat} runs, node ${process.version}`,
    `burst: ${workloads.burst.frames} frames per client as fast as possible; ` +
      `paced: ${workloads.paced.frames} frames per client at ${workloads.paced.ratePerClient}/s`,
    '',
    '| workload | server | deliveries/s | p50 ms | p99 ms | delivered |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
  ];
  const summary = new Map<string, { dps: number; p50: number; p99: number }>();
  for (const mode of modes) {
    for (const server of servers) {
      const runs = results.filter((r) => r.server === server && r.mode === mode);
      const row = {
        dps: median(runs.map((r) => r.deliveriesPerSecond)),
        p50: median(runs.map((r) => r.p50)),
        p99: median(runs.map((r) => r.p99)),
      };
      summary.set(`${mode} ${server}`, row);
      const deliveredAll = runs.every((r) => r.delivered === r.expected) ? 'all' : 'SOME LOST';
      lines.push(
        `| ${mode} | ${server} | ${Math.round(row.dps)} | ${row.p50.toFixed(2)} | ${row.p99.toFixed(2)} | ${deliveredAll} |`,
      );
    }
  }
  lines.push('');
  for (const mode of modes) {
    const ours = summary.get(`${mode} converge`)!;
    for (const other of servers.slice(1)) {
      const them = summary.get(`${mode} ${other}`)!;
      // Against the reference: how we compare to it. In cluster mode: how the cluster compares to us alone.
      const [a, b, against] =
        other === 'y-websocket' ? [ours, them, 'the reference'] : [them, ours, 'one relay alone'];
      const subject = other === 'y-websocket' ? 'throughput' : `${other} throughput`;
      lines.push(
        `${mode}: ${subject} ${(a.dps / b.dps).toFixed(2)}× ${against}, ` +
          `p99 ${(a.p99 / b.p99).toFixed(2)}× (lower is better), p50 ${(a.p50 / b.p50).toFixed(2)}×`,
      );
    }
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
