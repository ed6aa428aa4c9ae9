/**
 * The checkout authorities: one per room, living in the relay's process (issue 20). Each is a node of
 * its room (`authority`, reserved), so the link table decides which windows reach it, and it answers the
 * checkout channel of their connections. Its state — the stock, the orders and every saga's step, and the
 * ledgers of the simulated payment and shipment services — is durable under `DATA_DIR/<room>/checkout/`.
 *
 * An authority is loaded while its room has a window or an unfinished saga: at start every room with
 * checkout state on disk is opened once, and one whose sagas were cut off by a crash stays loaded and
 * drives them to their end (resumed, or compensated) with a fencing token larger than any before. Loads
 * and unloads of one room run one after another, so its files are never open twice.
 *
 * In the relay cluster (issue 24, `clusterAuthorities`) the same `RoomCheckout` runs on the room's owner
 * node only, opened under the node's lease on the room: its state lives in Redis (./redis-checkout.ts),
 * every write fenced by the lease's token, and the authority is unloaded the moment the lease is lost.
 */
import { mkdir, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type AuthorityNode,
  applyRoomControl,
  type CheckoutPolicy,
  isFinal,
  type LeaseKeeper,
  parseRoomControl,
  RoomCheckout,
  type RoomCheckoutParts,
  serveAuthority,
} from '@converge/checkout';
import { openFileCheckout } from '@converge/checkout/node';
import { AUTHORITY_NODE_ID, errorMessage, every, type Timers } from '@converge/protocol';
import type { ClusterRedis } from '../cluster/cluster-redis.ts';
import type { LocalTransport } from '../local-node.ts';
import { AuthorityControlError, type AuthorityPlugin, type RoomAuthorities } from '../room-authority.ts';
import type { RoomLease } from '../room-ownership.ts';
import type { StorageHost } from '../room-storage.ts';
import { directoryOfRoom, roomOfDirectory } from '../storage/index.ts';
import { openRedisCheckout, openSagaRooms } from './redis-checkout.ts';

export { AUTHORITY_NODE_ID };

/** Where a room's authority keeps its state, and whose leases fence it. */
export interface AuthorityParts extends RoomCheckoutParts {
  /** Shared leases (a cluster's); default: local ones continuing from the store's fence. */
  readonly leases?: LeaseKeeper;
  readonly damage?: readonly string[];
  close(): Promise<void>;
}

/** Where the authorities' state lives: which rooms to resume at start, and how to open one. */
interface AuthoritySource {
  readonly location: string;
  /** Rooms whose state may hold sagas a crash cut off. */
  resumable(): Promise<string[]>;
  /**
   * Open the room's parts; undefined when this node may not (in a cluster: it does not own the room).
   * `lease`: the room lease they were opened under, whose loss unloads them.
   */
  open(room: string, host: StorageHost): Promise<{ parts: AuthorityParts; lease?: RoomLease } | undefined>;
  /**
   * In a cluster: the rooms with sagas under way, so that a node resumes those whose owner died with
   * nobody left in the room (scanned every `everyMs`; each owner keeps its rooms' mark).
   */
  readonly openSagas?: {
    list(): Promise<string[]>;
    mark(room: string, open: boolean): Promise<void>;
    readonly everyMs: number;
  };
}

export interface AuthoritiesOptions {
  /** Timeouts, retries and leases of the sagas (defaults: `DEFAULT_POLICY` of @converge/checkout). */
  readonly policy?: Partial<CheckoutPolicy>;
  /**
   * Open a room's store and services (default: durable files under `dataDir/<room>/checkout/`). The
   * relay cluster (issue 24) passes a store on the room's owner node with a Redis-held lease keeper: the
   * store refuses any token below its fence, so an ex-owner that lost its lease cannot write.
   */
  readonly open?: (room: string, clock: Timers) => Promise<AuthorityParts>;
}

/** The checkout authorities as the relay's authority plugin: state under `dataDir/<room>/checkout/`. */
export function authorities(dataDir: string, options: AuthoritiesOptions = {}): AuthorityPlugin {
  const source: AuthoritySource = {
    location: dataDir,
    async resumable() {
      await mkdir(dataDir, { recursive: true });
      const rooms: string[] = [];
      for (const entry of await readdir(dataDir, { withFileTypes: true })) {
        const room = entry.isDirectory() ? roomOfDirectory(entry.name) : undefined;
        if (room !== undefined && (await hasCheckoutDirectory(dataDir, room))) rooms.push(room);
      }
      return rooms;
    },
    async open(room, { clock, log }) {
      const parts =
        options.open === undefined
          ? await openFileCheckout(join(dataDir, directoryOfRoom(room), 'checkout'), clock, (d) =>
              log.warn('checkout-damage', { room, ...d }),
            )
          : await options.open(room, clock);
      return { parts };
    },
  };
  return { location: dataDir, start: (host) => RoomAuthoritySet.start(host, source, options) };
}

/**
 * The checkout authorities of a relay cluster's node: a room's authority runs on its owner, under the
 * node's lease on the room, with its state in Redis (./redis-checkout.ts). A room is resumed by whichever
 * node a window (or an admin change) places it on; a room with sagas under way whose owner died with
 * nobody in the room is taken by the first node whose scan finds it unowned.
 */
export function clusterAuthorities(
  cluster: { readonly redis: ClusterRedis; readonly location: string },
  options: Pick<AuthoritiesOptions, 'policy'> & {
    /** How often this node looks for sagas nobody resumes (default 1000 ms). */
    readonly resumeEveryMs?: number;
  } = {},
): AuthorityPlugin {
  const source: AuthoritySource = {
    location: cluster.location,
    resumable: async () => [],
    openSagas: { ...openSagaRooms(cluster.redis), everyMs: options.resumeEveryMs ?? 1000 },
    async open(room, host) {
      const lease = host.lease(room);
      if (lease === undefined) return undefined;
      return { parts: await openRedisCheckout(cluster.redis, lease, host.clock), lease };
    },
  };
  return { location: cluster.location, start: (host) => RoomAuthoritySet.start(host, source, options) };
}

interface LoadedAuthority {
  readonly checkout: RoomCheckout;
  /** In a cluster, the room lease it was opened under: it serves only while that lease is this node's. */
  readonly lease: RoomLease | undefined;
  readonly node: AuthorityNode;
  readonly transport: LocalTransport;
  readonly unsubscribe: () => void;
}

export class RoomAuthoritySet implements RoomAuthorities {
  private readonly loaded = new Map<string, LoadedAuthority>();
  /** Per room, the load or unload under way; the next one waits for it. */
  private readonly work = new Map<string, Promise<void>>();
  private closed = false;
  private stopScan: () => void = () => {};
  private scanning = false;

  private constructor(
    private readonly host: StorageHost,
    private readonly source: AuthoritySource,
    private readonly options: AuthoritiesOptions,
  ) {}

  /** Open every room with checkout state once: sagas a crash left open resume now. */
  static async start(
    host: StorageHost,
    source: AuthoritySource,
    options: AuthoritiesOptions,
  ): Promise<RoomAuthoritySet> {
    const set = new RoomAuthoritySet(host, source, options);
    const rooms = await source.resumable();
    await Promise.all(rooms.map((room) => set.queue(room, () => set.settle(room, true))));
    const resumed = set.rooms();
    host.log.info('checkout-rooms-on-disk', { rooms: rooms.length, resumed: resumed.length });
    const openSagas = source.openSagas;
    if (openSagas !== undefined)
      set.stopScan = every(host.clock, openSagas.everyMs, () => void set.adoptUnowned(openSagas));
    return set;
  }

  /** Take and resume the rooms with sagas under way that no node serves (their owner died, nobody is in). */
  private async adoptUnowned(openSagas: NonNullable<AuthoritySource['openSagas']>): Promise<void> {
    if (this.closed || this.scanning) return;
    this.scanning = true;
    try {
      for (const room of await openSagas.list()) {
        if (this.closed || this.loaded.has(room)) continue;
        const release = await this.host.claim(room);
        if (release === undefined) continue; // another node owns it and resumes it
        try {
          this.host.log.info('checkout-saga-adopted', { room });
          await this.queue(room, () => this.settle(room, true));
        } finally {
          release();
        }
      }
    } catch (error) {
      this.host.log.warn('checkout-scan-failed', { error: errorMessage(error) });
    } finally {
      this.scanning = false;
    }
  }

  /** Keep the cluster's mark of the room's open sagas true (a hint for `adoptUnowned`). */
  private async markSagas(room: string, checkout: RoomCheckout): Promise<void> {
    const openSagas = this.source.openSagas;
    if (openSagas === undefined) return;
    try {
      await openSagas.mark(room, (await checkout.openSagas()) > 0);
    } catch (error) {
      this.host.log.warn('checkout-mark-failed', { room, error: errorMessage(error) });
    }
  }

  reconcile(room: string): Promise<void> {
    return this.queue(room, () => this.settle(room));
  }

  /** Rooms whose authority is loaded. */
  rooms(): string[] {
    return [...this.loaded.keys()].sort();
  }

  async status(room: string): Promise<unknown> {
    await this.work.get(room);
    return this.loaded.get(room)?.checkout.status();
  }

  /** Applies an operator's control; stock can be set before anyone joins (loading the authority for it). */
  async control(room: string, body: unknown): Promise<unknown> {
    let control: ReturnType<typeof parseRoomControl>;
    try {
      control = parseRoomControl(body);
    } catch (error) {
      throw new AuthorityControlError(errorMessage(error));
    }
    let status: unknown;
    await this.queue(
      room,
      async () => {
        if (this.closed) throw new AuthorityControlError('the relay is shutting down', 409);
        // Faults, latency and pauses live in memory (a restart clears them, as it would a real outage):
        // they only mean something while the authority is loaded, that is while a window is in the room.
        if (!('stock' in control) && !this.loaded.has(room))
          throw new AuthorityControlError(
            `room ${room} has no authority loaded: a window must be in it`,
            409,
          );
        const authority = this.loaded.get(room) ?? (await this.load(room));
        if (authority === undefined)
          throw new AuthorityControlError(`room ${room} is not owned by this node; try again`, 409);
        try {
          await applyRoomControl(authority.checkout, control);
        } catch (error) {
          if (error instanceof RangeError) throw new AuthorityControlError(error.message);
          throw error;
        }
        status = await authority.checkout.status();
        await this.settle(room);
      },
      true,
    );
    return status;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopScan();
    const rooms = new Set([...this.loaded.keys(), ...this.work.keys()]);
    await Promise.all([...rooms].map((room) => this.reconcile(room)));
  }

  private queue(room: string, task: () => Promise<void>, rethrow = false): Promise<void> {
    const next = (this.work.get(room) ?? Promise.resolve()).then(task);
    const logged = next.catch((error: unknown) => {
      if (rethrow) return;
      // One that was loading when the relay began shutting down is simply not needed any more.
      if (this.closed)
        this.host.log.info('checkout-authority-load-abandoned', { room, reason: errorMessage(error) });
      else this.host.log.error('checkout-authority-failed', { room, error: errorMessage(error) });
    });
    this.work.set(room, logged);
    void logged.finally(() => {
      if (this.work.get(room) === logged) this.work.delete(room);
    });
    return rethrow ? next : logged;
  }

  /**
   * Loaded while the room has a window or an open saga. `resume` (at start) opens a room without
   * windows to find out whether a crash left sagas open; otherwise only a window's join loads it (the
   * authority's own leave must not load it again).
   */
  private async settle(room: string, resume = false): Promise<void> {
    let authority = this.loaded.get(room);
    if (authority !== undefined && !this.owns(room, authority)) {
      // The room's lease is gone (evicted, taken after a pause): the next owner serves it now.
      await this.unload(room, authority);
      authority = undefined;
    }
    if (authority === undefined) {
      if (this.closed || !(resume || this.host.hasWindows(room))) return;
      authority = await this.load(room);
      if (authority === undefined) return;
    }
    const wanted = !this.closed && (this.host.hasWindows(room) || (await authority.checkout.openSagas()) > 0);
    if (!wanted) await this.unload(room, authority);
  }

  /** Whether this node may still serve the room's authority (always, outside a cluster). */
  private owns(room: string, authority: LoadedAuthority): boolean {
    return authority.lease === undefined || this.host.lease(room) === authority.lease;
  }

  private async load(room: string): Promise<LoadedAuthority | undefined> {
    const { clock, log } = this.host;
    const opened = await this.source.open(room, this.host);
    if (opened === undefined) return undefined;
    const { parts, lease } = opened;
    for (const problem of parts.damage ?? []) log.warn('checkout-damage', { room, problem });
    const checkout = await RoomCheckout.open({
      clock,
      parts,
      policy: this.options.policy ?? {},
      ...('leases' in parts && parts.leases !== undefined ? { leases: parts.leases } : {}),
    });
    const transport = this.host.openLocalNode({ room, nodeId: AUTHORITY_NODE_ID, role: 'storage' });
    let node: AuthorityNode;
    try {
      node = serveAuthority(checkout.host, transport, {
        onMalformed: (from, problem) => log.warn('checkout-malformed', { room, from, problem }),
      });
    } catch (error) {
      await checkout.close();
      throw error;
    }
    // A saga that ends while nobody is in the room lets the authority go.
    const unsubscribe = checkout.host.subscribe((event) => {
      if (event.type !== 'order') return;
      void this.markSagas(room, checkout);
      if (isFinal(event.order.phase) && !this.host.hasWindows(room)) void this.reconcile(room);
    });
    await this.markSagas(room, checkout);
    // Losing the room's lease unloads the authority at once (its writes would be refused anyway).
    const unwatch = lease?.onLost(() => void this.reconcile(room)) ?? (() => {});
    const loaded = {
      checkout,
      lease,
      node,
      transport,
      unsubscribe: () => {
        unsubscribe();
        unwatch();
      },
    };
    this.loaded.set(room, loaded);
    log.info('checkout-authority-loaded', { room, openSagas: await checkout.openSagas() });
    return loaded;
  }

  private async unload(room: string, authority: LoadedAuthority): Promise<void> {
    this.loaded.delete(room);
    authority.unsubscribe();
    authority.node.close();
    authority.transport.close();
    await authority.checkout.close();
    this.host.log.info('checkout-authority-unloaded', { room });
  }
}

function hasCheckoutDirectory(dataDir: string, room: string): Promise<boolean> {
  return stat(join(dataDir, directoryOfRoom(room), 'checkout')).then(
    (info) => info.isDirectory(),
    () => false,
  );
}
