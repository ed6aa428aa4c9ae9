/**
 * Room ownership through Redis leases: the `RoomOwnership` plugin of a relay node in a cluster. A window's
 * join claims its room here when nobody owns it; the lease is renewed while the relay has the room and
 * released once it is forgotten; when it is lost (not renewed in time, or taken after a pause) the relay
 * evicts the room so its windows reconnect to whoever owns it next. Per room, claims and releases run one
 * after another, so a release never races a join.
 */
import { type Cancel, errorMessage, every, realTimers, type Timers } from '@converge/protocol';
import { isDefaultControls, parseRoomControls, type RoomControls } from '../room-controls.ts';
import type {
  ClusterInfo,
  OwnershipHost,
  OwnershipPlugin,
  Placement,
  RoomLease,
  RoomOwnership,
  SavedControls,
} from '../room-ownership.ts';
import { RedisClusterEvents } from './cluster-events.ts';
import type { ClusterRedis } from './cluster-redis.ts';
import { type LeaseEnd, LeaseKeeper, type LeaseTerms } from './lease-keeper.ts';

export interface RedisOwnershipOptions {
  readonly redis: ClusterRedis;
  readonly nodeId: string;
  readonly terms: LeaseTerms;
  readonly clock?: Timers;
  /** The URL other nodes forward windows to (default: the relay's own URL). */
  readonly advertiseUrl?: string;
}

class HeldLease implements RoomLease {
  readonly listeners = new Set<() => void>();
  keeper: LeaseKeeper | undefined;
  readonly controls: SavedControls;
  /** Resolves once every save of the controls made so far has landed (or failed). */
  saved: () => Promise<void>;

  constructor(
    readonly room: string,
    readonly nodeId: string,
    readonly token: number,
    redis: ClusterRedis,
    /** The room's cuts and chaos as Redis held them when the lease was taken. */
    saved: RoomControls | undefined,
  ) {
    let last = saved;
    let saving: Promise<void> = Promise.resolve();
    this.controls = {
      saved: () => last,
      save: (controls) => {
        const json = isDefaultControls(controls) ? '' : JSON.stringify(controls);
        // One after another, so the last change made is the one Redis keeps.
        const run = saving.then(() => redis.saveControls(room, nodeId, token, json));
        saving = run.catch(() => {});
        last = controls;
        return run;
      },
    };
    this.saved = () => saving;
  }

  isHeld(): boolean {
    return this.keeper?.isHeld() ?? false;
  }

  onLost(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

export function redisOwnership(options: RedisOwnershipOptions): OwnershipPlugin {
  return {
    nodeId: options.nodeId,
    async start(host) {
      const ownership = new RedisOwnership(options, host);
      await ownership.start();
      return ownership;
    },
  };
}

class RedisOwnership implements RoomOwnership {
  readonly nodeId: string;
  readonly events: RedisClusterEvents;
  private readonly redis: ClusterRedis;
  private readonly clock: Timers;
  private readonly held = new Map<string, HeldLease>();
  /** Joins placed here and not yet done, per room: the lease stays while any is under way. */
  private readonly claims = new Map<string, number>();
  private readonly work = new Map<string, Promise<unknown>>();
  private cluster: ClusterInfo;
  private readonly url: string;
  private stopHeartbeat: Cancel = () => {};
  private closed = false;

  constructor(
    private readonly options: RedisOwnershipOptions,
    private readonly host: OwnershipHost,
  ) {
    this.nodeId = options.nodeId;
    this.redis = options.redis;
    this.clock = options.clock ?? realTimers;
    this.cluster = { nodeId: this.nodeId, nodes: [], leases: [] };
    this.url = options.advertiseUrl ?? host.url;
    this.events = new RedisClusterEvents(this.redis.redis, this.nodeId, host.log);
  }

  async start(): Promise<void> {
    await this.redis.connect();
    await this.heartbeat();
    this.stopHeartbeat = every(this.clock, this.options.terms.renewEveryMs, () => void this.heartbeat());
  }

  place(room: string, { claim }: { readonly claim: boolean }): Promise<Placement> {
    return this.serial(room, () => this.placeNow(room, claim));
  }

  get checkEveryMs(): number {
    return this.options.terms.renewEveryMs;
  }

  async owner(room: string): Promise<string | undefined> {
    return (await this.redis.holder(room))?.node;
  }

  lease(room: string): RoomLease | undefined {
    const lease = this.held.get(room);
    return lease?.isHeld() ? lease : undefined;
  }

  settle(room: string): Promise<void> {
    return this.serial(room, async () => {
      const lease = this.held.get(room);
      if (lease === undefined || (this.claims.get(room) ?? 0) > 0 || this.host.hasRoom(room)) return;
      // A release before the last save of its controls would leave stale cuts for the next owner.
      await lease.saved();
      if ((this.claims.get(room) ?? 0) > 0 || this.host.hasRoom(room)) return;
      lease.keeper?.release();
    });
  }

  info(): ClusterInfo {
    return this.cluster;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.stopHeartbeat();
    this.events.close();
    await Promise.all([...this.work.values()].map((w) => w.catch(() => {})));
    for (const lease of [...this.held.values()]) lease.keeper?.release();
    try {
      await this.redis.leaveCluster(this.nodeId);
    } catch (error) {
      this.host.log.warn('cluster-leave-failed', { error: errorMessage(error) });
    }
    await this.redis.quit();
  }

  private async placeNow(room: string, claim: boolean): Promise<Placement> {
    if (this.closed) return { kind: 'unavailable', reason: 'the node is shutting down' };
    const mine = this.held.get(room);
    if (mine?.isHeld()) return this.here(room, mine);
    try {
      const sentAt = this.clock.now();
      if (!claim) {
        const holder = await this.redis.holder(room);
        return holder === undefined || holder.node === this.nodeId
          ? { kind: 'unavailable', reason: `room ${room} has no owner` }
          : { kind: 'elsewhere', node: holder.node, url: holder.url };
      }
      const result = await this.redis.acquire(room, this.nodeId, this.url, this.options.terms.ttlMs);
      if (!result.taken) return { kind: 'elsewhere', node: result.holder.node, url: result.holder.url };
      const lease = this.keep(room, result.lease.token, sentAt, this.controlsOf(room, result.controls));
      return this.here(room, lease);
    } catch (error) {
      return { kind: 'unavailable', reason: `the cluster's storage is unreachable: ${errorMessage(error)}` };
    }
  }

  private here(room: string, lease: HeldLease): Placement {
    this.claims.set(room, (this.claims.get(room) ?? 0) + 1);
    let done = false;
    return {
      kind: 'here',
      lease,
      done: () => {
        if (done) return;
        done = true;
        const left = (this.claims.get(room) ?? 1) - 1;
        if (left > 0) this.claims.set(room, left);
        else this.claims.delete(room);
        void this.settle(room);
      },
    };
  }

  /** Saved controls as read from Redis; unreadable ones are logged and the room starts without them. */
  private controlsOf(room: string, json: string | undefined): RoomControls | undefined {
    if (json === undefined) return undefined;
    try {
      return parseRoomControls(json);
    } catch (error) {
      this.host.log.error('room-controls-unreadable', { room, error: errorMessage(error) });
      return undefined;
    }
  }

  private keep(room: string, token: number, sentAt: number, controls: RoomControls | undefined): HeldLease {
    const previous = this.held.get(room);
    previous?.keeper?.release();
    const lease = new HeldLease(room, this.nodeId, token, this.redis, controls);
    this.held.set(room, lease);
    const { terms } = this.options;
    lease.keeper = new LeaseKeeper(
      terms,
      this.clock,
      sentAt,
      async () => ((await this.redis.renew(room, this.nodeId, token, terms.ttlMs)) ? 'renewed' : 'refused'),
      (why) => this.ended(lease, why),
    );
    this.host.log.info('lease-acquired', { room, token });
    return lease;
  }

  private ended(lease: HeldLease, why: LeaseEnd): void {
    if (this.held.get(lease.room) === lease) this.held.delete(lease.room);
    for (const listener of lease.listeners) {
      try {
        listener();
      } catch (error) {
        this.host.log.error('lease-listener-failed', { room: lease.room, error: errorMessage(error) });
      }
    }
    if (why === 'released') {
      this.host.log.info('lease-released', { room: lease.room, token: lease.token });
      this.redis.release(lease.room, this.nodeId, lease.token).catch((error: unknown) =>
        // It expires on its own within a TTL.
        this.host.log.warn('lease-release-failed', { room: lease.room, error: errorMessage(error) }),
      );
      return;
    }
    this.host.log.warn('lease-lost', { room: lease.room, token: lease.token, why });
    void this.host.evict(
      lease.room,
      `room ${lease.room} moved: this node's lease ${why === 'taken' ? 'was taken' : 'expired'}`,
    );
  }

  private async heartbeat(): Promise<void> {
    try {
      await this.redis.heartbeat(this.nodeId, this.url, this.options.terms.ttlMs);
      const [nodes, leases] = await Promise.all([this.redis.liveNodes(), this.redis.leases()]);
      this.cluster = {
        nodeId: this.nodeId,
        nodes: nodes.map((n) => ({ ...n, rooms: leases.filter((l) => l.lease.node === n.id).length })),
        leases: leases.map((l) => ({
          room: l.room,
          owner: l.lease.node,
          token: l.lease.token,
          expiresInMs: l.ttlMs,
        })),
      };
    } catch (error) {
      this.host.log.warn('cluster-heartbeat-failed', { error: errorMessage(error) });
    }
  }

  /** Run `task` after this room's earlier claims and releases. */
  private serial<T>(room: string, task: () => Promise<T>): Promise<T> {
    const run = (this.work.get(room) ?? Promise.resolve()).then(task, task);
    const settled = run.catch(() => {});
    this.work.set(room, settled);
    void settled.then(() => {
      if (this.work.get(room) === settled) this.work.delete(room);
    });
    return run;
  }
}
