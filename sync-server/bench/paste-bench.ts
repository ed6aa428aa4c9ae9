/**
 * Issue 19's paste, headless: how long a large paste takes to reach the other windows through a relay
 * whose rooms have storage peers, and how long the relay stops forwarding another room's frames meanwhile.
 *
 *   npm run bench:paste -w @converge/sync-server -- [--chars 300000] [--rounds 1] [--server-dir DIR]
 *     [--server-profile DIR] [--timeout-ms 300000] [--json]
 *
 * The relay runs in its own process (bench-server.ts converge-storage, with a fresh data directory), as
 * in the app. Window alice (every engine, in this process) pastes `--chars` characters; four observer
 * windows, one process each, each host one engine of the registry, so none waits for another's apply.
 * Per engine it reports `arrived`, when the observer got the paste's frame of that engine, and `shown`,
 * when its text held the paste. Meanwhile two raw clients of another room ping each
 * other through the relay every 20 ms; the longest round trip is how long the relay stopped forwarding.
 * Times are from the moment the paste left alice (her first frame of at least a quarter of its size), on
 * one wall clock (Date.now) shared by the processes.
 * `--server-dir` runs another checkout's relay (its sync-server directory, with this bench-server.ts).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { loadavg, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { reportingSends } from '@converge/protocol';
import { ENGINES, MemoryStore, RelayTransport, Replica } from '@converge/replica';
import WebSocket from 'ws';

const { values } = parseArgs({
  options: {
    chars: { type: 'string', default: '300000' },
    rounds: { type: 'string', default: '1' },
    'server-dir': { type: 'string' },
    /** Write a CPU profile of the relay's process (every thread) into this directory. */
    'server-profile': { type: 'string' },
    json: { type: 'boolean', default: false },
    'timeout-ms': { type: 'string', default: '300000' },
  },
});
const chars = Number(values.chars);
const rounds = Number(values.rounds);
const timeoutMs = Number(values['timeout-ms']);
const here = dirname(fileURLToPath(import.meta.url));
const serverDir = values['server-dir'] ?? join(here, '..');
const tsx = join(here, '..', '..', 'node_modules', '.bin', 'tsx');
const OBSERVERS = ENGINES.names;

interface Child {
  readonly process: ChildProcess;
  /** The next JSON line that satisfies `predicate`. */
  next(predicate: (value: Record<string, unknown>) => boolean): Promise<Record<string, unknown>>;
  say(line: string): void;
}

function start(script: string, args: readonly string[], cwd?: string, nodeOptions = ''): Child {
  const env = { ...process.env, NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} ${nodeOptions}`.trim() };
  const child = spawn(tsx, [script, ...args], {
    stdio: ['pipe', 'pipe', 'inherit'],
    env,
    ...(cwd ? { cwd } : {}),
  });
  const seen: Record<string, unknown>[] = [];
  const waiters: {
    predicate: (v: Record<string, unknown>) => boolean;
    resolve: (v: Record<string, unknown>) => void;
  }[] = [];
  createInterface({ input: child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
    let value: Record<string, unknown>;
    try {
      value = JSON.parse(line) as Record<string, unknown>;
    } catch {
      return;
    }
    const waiter = waiters.find((w) => w.predicate(value));
    if (waiter === undefined) seen.push(value);
    else {
      waiters.splice(waiters.indexOf(waiter), 1);
      waiter.resolve(value);
    }
  });
  return {
    process: child,
    next: (predicate) => {
      const found = seen.find(predicate);
      if (found !== undefined) {
        seen.splice(seen.indexOf(found), 1);
        return Promise.resolve(found);
      }
      return new Promise((resolve) => waiters.push({ predicate, resolve }));
    },
    say: (line) => child.stdin?.write(`${line}\n`),
  };
}

async function credential(
  adminUrl: string,
  adminToken: string,
  room: string,
  replica: string,
): Promise<string> {
  // Tried again once: a pooled keep-alive connection the relay closed meanwhile fails a POST (on a loaded
  // machine the gap between two of these calls can outlast the server's keep-alive).
  for (let attempt = 1; ; attempt++) {
    try {
      const response = await fetch(`${adminUrl}/rooms/${room}/credentials`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
        body: JSON.stringify({ replica, rights: ['read', 'write'] }),
      });
      if (!response.ok) throw new Error(`credential: HTTP ${response.status}`);
      return ((await response.json()) as { token: string }).token;
    } catch (error) {
      if (attempt >= 3) throw error;
    }
  }
}

/**
 * Seeded random words and lines: an ordinary paste that no engine's compression (Automerge deflates its
 * columns) shrinks far below its length, so the observers can tell its frame by its size.
 */
function pasteText(length: number): string {
  let seed = 19;
  const random = (): number => {
    seed = (seed * 1103515245 + 12345) >>> 0;
    return seed / 2 ** 32;
  };
  const parts: string[] = [];
  let size = 0;
  while (size < length) {
    const word = Array.from({ length: 2 + Math.floor(random() * 8) }, () =>
      String.fromCharCode(97 + Math.floor(random() * 26)),
    ).join('');
    const part = `${word}${random() < 0.08 ? '\n' : ' '}`;
    parts.push(part);
    size += part.length;
  }
  return parts.join('').slice(0, length);
}

interface RoundResult {
  readonly engines: Record<string, { arrivedMs: number; shownMs: number }>;
  readonly pingMaxMs: number;
  readonly pingMaxSentMs: number;
  readonly pingP99Ms: number;
  readonly pings: number;
  readonly aliceApplyMs: number;
}

async function round(): Promise<RoundResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'converge-paste-bench-'));
  const profile = values['server-profile'];
  const server = start(
    join(serverDir, 'bench', 'bench-server.ts'),
    ['converge-storage', dataDir],
    serverDir,
    profile === undefined ? '' : `--cpu-prof --cpu-prof-dir=${profile}`,
  );
  const { port, adminToken } = (await server.next((v) => 'port' in v)) as {
    port: number;
    adminToken: string;
  };
  const url = `ws://127.0.0.1:${port}`;
  const adminUrl = `http://127.0.0.1:${port}`;
  const text = pasteText(chars);
  // When the paste leaves alice: her first frame of at least a quarter of its length (random words).
  let sent: number | undefined;
  const alice = await Replica.open({
    id: 'alice',
    transport: reportingSends(
      new RelayTransport({
        url,
        room: 'paste',
        nodeId: 'alice',
        token: await credential(adminUrl, adminToken, 'paste', 'alice'),
        WebSocket,
      }),
      (_to, _channel, payload) => {
        if (sent === undefined && payload.length >= chars / 4) sent = Date.now();
      },
    ),
    store: new MemoryStore(),
    engines: ENGINES,
  });
  const windows = await Promise.all(
    OBSERVERS.map(async (engine) =>
      start(join(here, 'paste-window.ts'), [
        'window',
        url,
        'paste',
        `w-${engine}`,
        engine,
        await credential(adminUrl, adminToken, 'paste', `w-${engine}`),
        String(chars),
      ]),
    ),
  );
  const ping = start(join(here, 'paste-window.ts'), [
    'ping',
    url,
    'elsewhere',
    await credential(adminUrl, adminToken, 'elsewhere', 'ping-a'),
    await credential(adminUrl, adminToken, 'elsewhere', 'ping-b'),
  ]);
  await Promise.all([...windows, ping].map((w) => w.next((v) => v.ready === true)));
  for (const w of windows) w.say('go');
  const applyStarted = performance.now();
  await alice.apply({ op: 'text.insert', pos: 0, text });
  const aliceApplyMs = performance.now() - applyStarted;
  // A window that never shows the paste (within --timeout-ms) is reported as null, not waited for.
  const timeout = new Promise<undefined>((resolve) =>
    setTimeout(() => resolve(undefined), timeoutMs).unref(),
  );
  const results = (
    await Promise.all(windows.map((w) => Promise.race([w.next((v) => 'shown' in v), timeout])))
  ).filter((r): r is Record<string, unknown> => r !== undefined);
  const left = sent ?? Number.NaN;
  ping.say('stop');
  const { rtts, longest } = (await ping.next((v) => 'rtts' in v)) as {
    rtts: number[];
    longest: { rtt: number; sentAt: number };
  };
  for (const w of windows) {
    w.say('stop');
    if (w.process.exitCode === null) setTimeout(() => w.process.kill(), 5000).unref();
  }
  await alice.close();
  await Promise.all(
    [...windows, ping, server].map(
      (w) =>
        new Promise<void>((resolve) => {
          if (w.process.exitCode !== null) resolve();
          else {
            w.process.on('exit', () => resolve());
            if (w === server) w.process.stdin?.end();
          }
        }),
    ),
  );
  await rm(dataDir, { recursive: true, force: true });
  const sorted = [...rtts].sort((a, b) => a - b);
  return {
    engines: Object.fromEntries(
      results.map((r) => [
        r.engine as string,
        { arrivedMs: (r.arrived as number) - left, shownMs: (r.shown as number) - left },
      ]),
    ),
    pingMaxMs: sorted.at(-1) ?? 0,
    // When the longest ping was sent, from the moment the paste left alice (negative: before it).
    pingMaxSentMs: longest.sentAt - left,
    pingP99Ms: sorted[Math.floor(sorted.length * 0.99)] ?? 0,
    pings: rtts.length,
    aliceApplyMs,
  };
}

for (let n = 0; n < rounds; n++) {
  const load = loadavg()[0] ?? 0;
  const result = await round();
  if (values.json) print({ chars, server: serverDir, load, ...result });
  else {
    const cells = OBSERVERS.map((e) => {
      const r = result.engines[e];
      return `${e} ${r ? `${(r.arrivedMs / 1000).toFixed(2)}/${(r.shownMs / 1000).toFixed(2)}` : '—'} s`;
    });
    console.log(
      `${chars} chars, load ${load.toFixed(1)}: arrived/shown ${cells.join(', ')}; other room's longest ping ${(result.pingMaxMs / 1000).toFixed(2)} s (p99 ${result.pingP99Ms.toFixed(0)} ms, ${result.pings} pings); alice's own apply ${(result.aliceApplyMs / 1000).toFixed(1)} s`,
    );
  }
}

function print(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}
