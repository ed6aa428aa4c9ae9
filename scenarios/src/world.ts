/**
 * Where a scenario's replicas live: an in-process simulated network on a virtual clock (deterministic,
 * the default), or a real relay (`--relay URL`), whose links and chaos are driven through its admin API.
 * Both run the same topology: the scenario's replicas plus the room's storage peer (the relay's own, or
 * a storage replica in the simulation), so a partition that places the storage peer means the same in both.
 */

import {
  type AuthorityNode,
  type AuthorityStatus,
  applyRoomControl,
  RoomCheckout,
  type RoomControl,
  serveAuthority,
} from '@converge/checkout';
import { SeededRandom } from '@converge/crdt-core';
import {
  AUTHORITY_NODE_ID,
  keepCredential,
  type PlacedGroups,
  realTimers,
  requestCredential,
  STORAGE_NODE_ID,
  splitCheckoutChannel,
  type Timers,
  type Transport,
  VirtualClock,
} from '@converge/protocol';
import {
  type ChaosSettings,
  ENGINES,
  type EngineRegistry,
  MemoryStore,
  RelayTransport,
  Replica,
  SimNetwork,
} from '@converge/replica';
import { relayChaosConfig } from './relay-chaos.ts';
import { slug } from './scenario.ts';

export type WorldInfo =
  | { readonly kind: 'simulation'; readonly seed: number; readonly storagePeer: true }
  | {
      readonly kind: 'relay';
      readonly url: string;
      readonly room: string;
      /** True when the scenario (or --room) named the room; false: a fresh room made for this run. */
      readonly roomNamed: boolean;
      readonly seed: number;
      /** Whether the room has a storage peer (the relay runs with --data-dir). */
      readonly storagePeer: boolean;
    };

export interface ScenarioWorld {
  readonly timers: Timers;
  /** Wall clock the replicas read (virtual in the simulation). */
  readonly now: () => number;
  /** Anti-entropy period the replicas use. */
  readonly antiEntropyMs: number;
  /** How long a `sync` may take before the run fails. */
  readonly syncTimeoutMs: number;
  /** A replica's connection (the runner splits it: the replica's half, and checkout's channel). */
  transport(id: string): Transport;
  /**
   * After the replicas opened: bring up the storage peer (or find the relay's) and say what ran; with
   * `checkout`, the simulation also runs the room's checkout authority (a relay runs its own).
   */
  start(options?: { readonly checkout?: boolean }): Promise<WorldInfo>;
  /** Replace the link table: every node placed in a group, or linked to all as the bridge. */
  partition(layout: PlacedGroups): Promise<void>;
  heal(): Promise<void>;
  setChaos(chaos: (ChaosSettings & { seed?: number }) | undefined): Promise<void>;
  /** Let a little time pass (virtual in the simulation), delivering what is due. */
  wait(): Promise<void>;
  /** Let queued work (e.g. store writes) finish without advancing the simulated time. */
  flush(): Promise<void>;
  /** The last connection problem of a replica's transport, if any (for error messages). */
  problem(id: string): string | undefined;
  /** Act on the room's checkout authority (set stock, inject failures, pause, resume). */
  checkoutControl(control: RoomControl): Promise<void>;
  /** What the room's authority holds, or undefined when the room has none. */
  checkoutStatus(): Promise<AuthorityStatus | undefined>;
  close(): Promise<void>;
}

const SIM_EPOCH = Date.UTC(2026, 0, 1);
const nextTick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
/** The simulated storage peer gets its own identities, apart from the replicas' seeded stream. */
const STORAGE_SEED_SALT = 0x5eed_0000;

export interface SimWorldOptions {
  /** The clock starts no earlier (a file's start state was taken then). */
  readonly notBefore?: number | undefined;
  /** The storage peer's engines (the replicas'); default: every engine the registry offers. */
  readonly engines?: EngineRegistry;
  /** Virtual time a `sync` may take (default 120 s). */
  readonly syncTimeoutMs?: number;
}

/**
 * The in-process world: same scenario, same seed → the same report, every time. Its clock starts at
 * 2026-01-01, or at `notBefore` when later (a file's start state was taken then).
 */
export function simWorld(seed: number, options: SimWorldOptions = {}): ScenarioWorld {
  const clock = new VirtualClock(Math.max(SIM_EPOCH, options.notBefore ?? 0));
  const engines = options.engines ?? ENGINES;
  const net = new SimNetwork({ timers: clock, seed, latencyMs: 5 });
  const antiEntropyMs = 500;
  let storage: Replica | undefined;
  let checkout: { room: RoomCheckout; node: AuthorityNode; transport: Transport } | undefined;
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
    syncTimeoutMs: options.syncTimeoutMs ?? 120_000,
    transport: (id) => net.transport(id),
    start: async (options) => {
      // The relay's storage peer: a replica with no user and every engine; its identities come from a
      // seeded stream of its own, so opening it does not shift the replicas' identities.
      const random = new SeededRandom((seed ^ STORAGE_SEED_SALT) >>> 0);
      storage = await Replica.open({
        id: STORAGE_NODE_ID,
        // The checkout authority is no replica: the storage peer never syncs an engine with it.
        transport: splitCheckoutChannel(net.transport(STORAGE_NODE_ID)).transport,
        store: new MemoryStore(),
        engines,
        timers: clock,
        now: () => clock.now(),
        antiEntropyMs,
        randomUint32: () => random.nextUint32(),
      });
      // Only for scenarios that check out: its leases and timers would slow every other run.
      if (options?.checkout === true)
        checkout = await startSimAuthority(net.transport(AUTHORITY_NODE_ID), clock);
      return { kind: 'simulation', seed, storagePeer: true };
    },
    partition: async ({ groups, bridge }) => {
      net.partition(checkout === undefined ? groups.map((g) => [...g]) : withAuthority(groups));
      if (bridge !== undefined) {
        for (const node of groups.flat()) {
          net.restore(bridge, node);
          net.restore(node, bridge);
        }
      }
    },
    heal: async () => net.heal(),
    // The fault generator was seeded once, with the scenario's first chaos seed (see runner.ts).
    setChaos: async (chaos) => net.setChaos(chaos),
    wait: () => runFor(10),
    flush: () => runFor(0),
    problem: () => undefined,
    checkoutControl: async (control) => {
      if (checkout === undefined) throw new Error('the world has not started');
      await applyRoomControl(checkout.room, control);
    },
    checkoutStatus: async () => checkout?.room.status(),
    close: async () => {
      await storage?.close();
      checkout?.node.close();
      checkout?.transport.close();
      await checkout?.room.close();
    },
  };
}

/** The room's authority in the simulation: the relay plugin's wiring, on the simulated network. */
async function startSimAuthority(
  transport: Transport,
  clock: Timers,
): Promise<{ room: RoomCheckout; node: AuthorityNode; transport: Transport }> {
  const room = await RoomCheckout.open({ clock });
  const node = serveAuthority(room.host, transport);
  return { room, node, transport };
}

/** A split places the authority with its first group unless a group names it (as the relay does). */
function withAuthority(groups: readonly (readonly string[])[]): string[][] {
  const placed = groups.map((group) => [...group]);
  if (!placed.some((group) => group.includes(AUTHORITY_NODE_ID))) placed[0]?.push(AUTHORITY_NODE_ID);
  return placed;
}

export interface RelayWorldOptions {
  readonly url: string;
  /** The room the scenario (or the command line) names; undefined: a fresh room for this run. */
  readonly room: string | undefined;
  /** Names the fresh room. */
  readonly scenarioName: string;
  /** The relay's admin token, or a room credential with read, write and admin rights. */
  readonly adminCredential: string;
  readonly seed: number;
  readonly WebSocket?: unknown;
}

/**
 * A real relay: the same steps over WebSockets, with partitions and chaos set through the admin API.
 * The admin credential mints each replica's own credential and authorizes the link and chaos calls.
 */
export function relayWorld(options: RelayWorldOptions): ScenarioWorld {
  const { url: relayUrl, adminCredential } = options;
  const room = options.room ?? freshRoomName(options.scenarioName);
  const adminUrl = relayUrl.replace(/^ws/, 'http').replace(/\/$/, '');
  const problems = new Map<string, string>();
  const admin = async (method: 'GET' | 'POST' | 'PUT', path: string, body?: unknown): Promise<Response> => {
    const response = await fetch(`${adminUrl}/rooms/${encodeURIComponent(room)}${path}`, {
      method,
      headers: { authorization: `Bearer ${adminCredential}`, 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    // A GET may find nothing (no storage peer, a room nobody joined yet); a change must be accepted.
    if (!response.ok && !(method === 'GET' && response.status === 404))
      throw new Error(`relay refused ${method} ${path}: ${response.status} ${await response.text()}`);
    return response;
  };
  /** Nodes in the room the scenario does not know (other windows of a named room): each left alone. */
  const strangers = async (known: ReadonlySet<string>): Promise<string[][]> => {
    const response = await admin('GET', '');
    if (response.status === 404) return [];
    const info = (await response.json()) as { nodes?: { id: string }[] };
    // The checkout authority is not left alone: the relay places it with the first group.
    return (info.nodes ?? [])
      .filter((n) => !known.has(n.id) && n.id !== AUTHORITY_NODE_ID)
      .map((n) => [n.id]);
  };
  const antiEntropyMs = 200;
  return {
    timers: realTimers,
    now: () => Date.now(),
    antiEntropyMs,
    syncTimeoutMs: 30_000,
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
        onProblem: (problem) => problems.set(id, JSON.stringify(problem)),
        ...(options.WebSocket ? { WebSocket: options.WebSocket as never } : {}),
      }),
    start: async () => {
      // 404 without --data-dir: the relay keeps no storage peer.
      const storage = await admin('GET', '/storage');
      return {
        kind: 'relay',
        url: relayUrl,
        room,
        roomNamed: options.room !== undefined,
        seed: options.seed,
        storagePeer: storage.ok,
      };
    },
    partition: async ({ groups, bridge }) => {
      const all = [...groups, ...(await strangers(new Set([...groups.flat(), ...(bridge ? [bridge] : [])])))];
      const operation =
        all.length < 2
          ? { op: 'heal-all' }
          : bridge === undefined
            ? { op: 'split', groups: all }
            : { op: 'bridge', node: bridge, groups: all };
      await admin('POST', '/links', operation);
    },
    heal: async () => {
      await admin('POST', '/links', { op: 'heal-all' });
    },
    setChaos: async (chaos) => {
      await admin('PUT', '/chaos', { config: chaos === undefined ? null : relayChaosConfig(chaos) });
    },
    wait: () => new Promise((resolve) => setTimeout(resolve, 20)),
    flush: () => new Promise((resolve) => setTimeout(resolve, 10)),
    problem: (id) => problems.get(id),
    checkoutControl: async (control) => {
      await admin('POST', '/checkout', control);
    },
    checkoutStatus: async () => {
      const response = await admin('GET', '/checkout');
      return response.ok ? ((await response.json()) as AuthorityStatus) : undefined;
    },
    close: async () => {},
  };
}

/** A room nobody used before: the scenario's name and a random suffix (within the 64-character id limit). */
export function freshRoomName(scenarioName: string, random: () => number = Math.random): string {
  const suffix = `${Date.now().toString(36)}-${Math.floor(random() * 36 ** 6)
    .toString(36)
    .padStart(6, '0')}`;
  return `${slug(scenarioName).slice(0, 64 - suffix.length - 1)}-${suffix}`;
}

/**
 * The room a relay credential (a JWT) is for, read from its claims without checking the signature (the
 * relay checks it); undefined for anything else, such as an admin token.
 */
export function credentialRoom(token: string): string | undefined {
  const parts = token.split('.');
  if (parts.length !== 3) return undefined;
  try {
    const json = atob((parts[1] as string).replace(/-/g, '+').replace(/_/g, '/'));
    const claims: unknown = JSON.parse(json);
    const room = (claims as { room?: unknown }).room;
    return typeof room === 'string' ? room : undefined;
  } catch {
    return undefined;
  }
}
