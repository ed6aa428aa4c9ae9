/**
 * `npm run bench:cluster-storage [-- --records 500 --bytes 200]`
 *
 * What a room's storage costs where it lives (through the storage peer's store, records encoded as it
 * does): fenced appends to a redis-server with `appendfsync always`
 * (the cluster's setting: a write is on disk before Redis answers) and with `everysec` (up to a second
 * of acknowledged writes lost if Redis dies), against the standalone relay's file log (write + fsync per
 * record, DurableLog). Sequential appends give the latency one writer sees; concurrent ones the
 * throughput of a busy owner. Every figure comes from the same run on this machine.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { FileStore } from '@converge/replica/node';
import { ClusterRedis, fencedStore } from '../src/cluster/index.ts';
import { directoryOfRoom } from '../src/storage/index.ts';
import { startRedis } from '../test/redis-server.ts';

const { values } = parseArgs({
  options: { records: { type: 'string', default: '500' }, bytes: { type: 'string', default: '200' } },
});
const records = Number(values.records);
const bytes = Number(values.bytes);
if (!Number.isSafeInteger(records) || records < 10 || !Number.isSafeInteger(bytes) || bytes < 1) {
  process.stderr.write('usage: cluster-storage-bench [--records N>=10] [--bytes N>=1]\n');
  process.exit(2);
}

interface Figures {
  readonly p50: number;
  readonly p99: number;
  readonly perSecond: number;
}

/** What the storage peer does with its store: load it, append updates, close it. */
interface UpdateStore {
  load(): Promise<unknown>;
  append(record: { kind: 'update'; engine: 'yjs'; update: Uint8Array }): Promise<void>;
  close(): Promise<void>;
}

async function measure(log: UpdateStore): Promise<Figures> {
  await log.load();
  const record = { kind: 'update', engine: 'yjs', update: new Uint8Array(bytes).fill(7) } as const;
  const latencies: number[] = [];
  for (let i = 0; i < records; i++) {
    const start = performance.now();
    await log.append(record);
    latencies.push(performance.now() - start);
  }
  latencies.sort((a, b) => a - b);
  const start = performance.now();
  await Promise.all(Array.from({ length: records }, () => log.append(record)));
  const seconds = (performance.now() - start) / 1000;
  await log.close();
  const at = (p: number): number =>
    latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))] ?? 0;
  return { p50: at(0.5), p99: at(0.99), perSecond: records / seconds };
}

async function redisFigures(fsync: 'always' | 'everysec'): Promise<Figures> {
  const server = await startRedis(fsync);
  const redis = ClusterRedis.connect(server.url, 10_000);
  try {
    await redis.connect();
    const taken = await redis.acquire('bench', 'n1', 'ws://127.0.0.1:1', 600_000);
    if (!taken.taken) throw new Error('could not take the bench lease');
    const lease = {
      room: 'bench',
      nodeId: 'n1',
      token: taken.lease.token,
      isHeld: () => true,
      onLost: () => () => {},
    };
    return await measure(fencedStore(redis, lease, 'storage'));
  } finally {
    await redis.quit();
    await server.stop();
  }
}

async function fileFigures(): Promise<Figures> {
  const dir = await mkdtemp(join(tmpdir(), 'converge-storage-bench-'));
  try {
    // The file store the storage peers' worker opens for a room (fileStores' directory for it).
    return await measure(new FileStore(join(dir, directoryOfRoom('bench'))));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

const rows: [string, Figures][] = [
  ['redis, appendfsync always (cluster)', await redisFigures('always')],
  ['redis, appendfsync everysec', await redisFigures('everysec')],
  ['file log, fsync per record (standalone)', await fileFigures()],
];
const lines = [
  `room storage: ${records} sequential then ${records} concurrent appends of ${bytes} bytes, node ${process.version}`,
  '',
  '| storage | p50 ms | p99 ms | concurrent appends/s |',
  '| --- | ---: | ---: | ---: |',
  ...rows.map(
    ([name, f]) => `| ${name} | ${f.p50.toFixed(2)} | ${f.p99.toFixed(2)} | ${Math.round(f.perSecond)} |`,
  ),
];
process.stdout.write(`${lines.join('\n')}\n`);
