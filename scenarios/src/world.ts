/**
 * Where a scenario's replicas live: an in-process simulated network on a virtual clock (deterministic,
 * the default), or a real relay (`--relay URL`), whose links and chaos are driven through its admin API.
 */
import {
  type ChaosSettings,
  keepCredential,
  RelayTransport,
  type Replica,
  realTimers,
  requestCredential,
  SimNetwork,
  type Timers,
  type Transport,
  VirtualClock,
} from '@converge/replica';

export interface ScenarioWorld {
  readonly timers: Timers;
  /** Wall clock the replicas read (virtual in the simulation). */
  readonly now: () => number;
  /** Anti-entropy period the replicas use. */
  readonly antiEntropyMs: number;
  transport(id: string): Transport;
  partition(groups: readonly (readonly string[])[]): Promise<void>;
  heal(): Promise<void>;
  setChaos(chaos: (ChaosSettings & { seed?: number }) | undefined): Promise<void>;
  /** Deliver everything deliverable and wait until nothing changes any more. */
  settle(replicas: readonly Replica[]): Promise<void>;
  /** Let queued work (e.g. store writes) finish without advancing the simulated time much. */
  flush(): Promise<void>;
  close(): Promise<void>;
}

const SIM_EPOCH = Date.UTC(2026, 0, 1);
const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** The in-process world: same scenario, same seed → the same report, every time. */
export function simWorld(seed: number): ScenarioWorld {
  const clock = new VirtualClock(SIM_EPOCH);
  const net = new SimNetwork({ timers: clock, seed, latencyMs: 5 });
  const antiEntropyMs = 500;
  /** Run timers in order, letting promise work (store writes, forwarding) happen between them. */
  const runFor = async (ms: number): Promise<void> => {
    const until = clock.now() + ms;
    await nextTick();
    for (let at = clock.nextAt(); at !== undefined && at <= until; at = clock.nextAt()) {
      clock.step();
      await nextTick();
    }
    clock.advance(until - clock.now());
    await nextTick();
  };
  return {
    timers: clock,
    now: () => clock.now(),
    antiEntropyMs,
    transport: (id) => net.transport(id),
    partition: async (groups) => net.partition(groups),
    heal: async () => net.heal(),
    // The fault generator was seeded once, with the scenario's first chaos seed (see runner.ts).
    setChaos: async (chaos) => net.setChaos(chaos),
    settle: (replicas) =>
      untilQuiet(replicas, {
        wait: () => runFor(50),
        now: () => clock.now(),
        quietMs: 2 * antiEntropyMs,
        timeoutMs: 120_000,
      }),
    flush: () => runFor(0),
    close: async () => {},
  };
}

/**
 * A real relay: the same steps over WebSockets, with partitions and chaos set through the admin API.
 * `adminCredential` (the relay's admin token, or a room credential with admin rights) mints each
 * replica's own credential and authorizes the link and chaos calls.
 */
export function relayWorld(
  relayUrl: string,
  room: string,
  adminCredential: string,
  WebSocketImpl?: unknown,
): ScenarioWorld {
  const adminUrl = relayUrl.replace(/^ws/, 'http').replace(/\/$/, '');
  const admin = async (method: 'POST' | 'PUT', path: string, body: unknown): Promise<void> => {
    const response = await fetch(`${adminUrl}/rooms/${encodeURIComponent(room)}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminCredential}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!response.ok)
      throw new Error(`relay refused ${method} ${path}: ${response.status} ${await response.text()}`);
  };
  const antiEntropyMs = 200;
  return {
    timers: realTimers,
    now: () => Date.now(),
    antiEntropyMs,
    transport: (id) =>
      new RelayTransport({
        url: relayUrl,
        room,
        nodeId: id,
        // Kept per transport: a restarted replica is a new transport, so it gets a new credential.
        token: keepCredential(() =>
          requestCredential({ adminUrl, adminCredential, room, replica: id, rights: ['read', 'write'] }),
        ),
        backoff: { initialMs: 50, maxMs: 500 },
        ...(WebSocketImpl ? { WebSocket: WebSocketImpl as never } : {}),
      }),
    partition: (groups) =>
      admin('POST', '/links', groups.length > 1 ? { op: 'split', groups } : { op: 'heal-all' }),
    heal: () => admin('POST', '/links', { op: 'heal-all' }),
    setChaos: (chaos) =>
      admin('PUT', '/chaos', {
        config:
          chaos === undefined
            ? null
            : {
                dropRate: chaos.drop ?? 0,
                duplicateRate: chaos.duplicate ?? 0,
                jitterMs: chaos.delayMs ?? 0,
                // A reorder probability p lets a frame be overtaken by about p/(1−p) later ones.
                reorderWindow: Math.max(
                  1,
                  Math.min(64, Math.round(1 / (1 - Math.min(chaos.reorder ?? 0, 0.98)))),
                ),
                seed: chaos.seed ?? 0,
              },
      }),
    settle: (replicas) =>
      untilQuiet(replicas, {
        wait: () => new Promise((resolve) => setTimeout(resolve, 25)),
        now: () => Date.now(),
        quietMs: 4 * antiEntropyMs,
        timeoutMs: 30_000,
      }),
    flush: () => new Promise((resolve) => setTimeout(resolve, 10)),
    close: async () => {},
  };
}

/**
 * Wait until no engine of any replica changed (state digest or version) for `quietMs`. Anti-entropy keeps
 * frames flowing forever, so "nothing in flight" never comes; "nothing changes any more" does.
 */
async function untilQuiet(
  replicas: readonly Replica[],
  clock: { wait: () => Promise<void>; now: () => number; quietMs: number; timeoutMs: number },
): Promise<void> {
  const fingerprint = (): string =>
    replicas
      .map((r) =>
        r.engineNames.map((e) => `${r.id}:${e}:${r.digest(e)}:${JSON.stringify(r.version(e))}`).join('|'),
      )
      .join('#');
  const start = clock.now();
  let last = fingerprint();
  let quietSince = start;
  while (clock.now() - quietSince < clock.quietMs) {
    if (clock.now() - start > clock.timeoutMs) {
      throw new Error(`the replicas did not become quiet within ${clock.timeoutMs / 1000} s`);
    }
    await clock.wait();
    const current = fingerprint();
    if (current !== last) {
      last = current;
      quietSince = clock.now();
    }
  }
}
