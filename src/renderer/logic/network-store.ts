/**
 * Live state of the relay room for the network panel and the header: room info (nodes, cuts, chaos) and
 * cumulative traffic per link. Follows the admin event stream, refetching the room when it changes
 * (coalesced), and falls back to polling while the stream is down. Actions report failures in `error`
 * instead of throwing, so a click never produces an unhandled rejection.
 */
import { errorMessage, type Timers } from '@converge/protocol';
import { keepEqual } from './keep-equal.ts';
import type {
  AdminEvent,
  ChaosConfig,
  LinkOperation,
  LinkTraffic,
  RelayAdmin,
  RoomInfo,
} from './relay-admin.ts';

export interface NetworkSnapshot {
  /** undefined until the first answer; null when the relay has no such room. */
  readonly room: RoomInfo | null | undefined;
  /** Latest cumulative counters per directed link ("from to"). */
  readonly traffic: ReadonlyMap<string, LinkTraffic>;
  readonly streamConnected: boolean;
  /** The last failure (unreachable admin API, refused operation), cleared by the next success. */
  readonly error: string | undefined;
  /** An operation is on its way to the relay. */
  readonly busy: boolean;
}

export interface NetworkStoreOptions {
  readonly admin: RelayAdmin;
  readonly room: string;
  readonly timers: Timers;
  /** Poll period while the event stream is down (default 3000 ms). */
  readonly pollMs?: number;
  /** Wait this long after a change event before refetching, to coalesce bursts (default 100 ms). */
  readonly refreshDelayMs?: number;
}

export class NetworkStore {
  private snapshot: NetworkSnapshot = {
    room: undefined,
    traffic: new Map(),
    streamConnected: false,
    error: undefined,
    busy: false,
  };
  private readonly listeners = new Set<() => void>();
  private stopStream: () => void = () => {};
  private cancelRefresh: (() => void) | undefined;
  private cancelPoll: (() => void) | undefined;
  private pending = 0;
  private stopped = false;

  constructor(private readonly options: NetworkStoreOptions) {}

  start(): void {
    this.stopStream = this.options.admin.subscribe(
      (event) => this.onEvent(event),
      (connected) => {
        this.set({ streamConnected: connected });
        if (connected) this.scheduleRefresh();
      },
    );
    void this.refresh();
    this.poll();
  }

  stop(): void {
    this.stopped = true;
    this.stopStream();
    this.cancelRefresh?.();
    this.cancelPoll?.();
    this.listeners.clear();
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): NetworkSnapshot => this.snapshot;

  /** Cut, heal or apply a preset; resolves true when the relay accepted it. */
  async links(operation: LinkOperation): Promise<boolean> {
    return this.act(() => this.options.admin.links(this.options.room, operation));
  }

  /** Set the room's chaos (null = none). */
  async chaos(config: Partial<ChaosConfig> | null): Promise<boolean> {
    return this.act(() => this.options.admin.setChaos(this.options.room, config));
  }

  /** Fetch room and traffic now. */
  async refresh(): Promise<void> {
    try {
      const room = await this.options.admin.findRoom(this.options.room);
      const traffic =
        room === undefined
          ? undefined
          : await this.options.admin.traffic(this.options.room).catch(() => undefined);
      const merged = new Map(this.snapshot.traffic);
      for (const link of traffic ?? []) merged.set(`${link.from} ${link.to}`, link);
      // An unchanged room keeps its identity: the window's frame renders again only when it changed.
      this.set({ room: keepEqual(this.snapshot.room, room ?? null), traffic: merged, error: undefined });
    } catch (error) {
      this.set({ error: errorMessage(error) });
    }
  }

  private async act(call: () => Promise<unknown>): Promise<boolean> {
    this.pending++;
    this.set({ busy: true });
    try {
      await call();
      this.set({ error: undefined });
      await this.refresh();
      return true;
    } catch (error) {
      this.set({ error: errorMessage(error) });
      return false;
    } finally {
      this.pending--;
      this.set({ busy: this.pending > 0 });
    }
  }

  private onEvent(event: AdminEvent): void {
    if (event.type === 'snapshot') {
      this.scheduleRefresh();
    } else if (event.type === 'room-changed') {
      if (event.room === this.options.room) this.scheduleRefresh();
    } else if (event.room === this.options.room) {
      const traffic = new Map(this.snapshot.traffic);
      for (const link of event.links) traffic.set(`${link.from} ${link.to}`, link);
      this.set({ traffic });
    }
  }

  private scheduleRefresh(): void {
    if (this.stopped || this.cancelRefresh !== undefined) return;
    this.cancelRefresh = this.options.timers.setTimeout(() => {
      this.cancelRefresh = undefined;
      void this.refresh();
    }, this.options.refreshDelayMs ?? 100);
  }

  /** While the stream is down, nothing tells us about changes: ask periodically. */
  private poll(): void {
    if (this.stopped) return;
    this.cancelPoll = this.options.timers.setTimeout(() => {
      if (!this.snapshot.streamConnected) void this.refresh();
      this.poll();
    }, this.options.pollMs ?? 3000);
  }

  private set(patch: Partial<NetworkSnapshot>): void {
    if (this.stopped) return;
    this.snapshot = { ...this.snapshot, ...patch };
    for (const listener of [...this.listeners]) listener();
  }
}
