/**
 * Client of the relay's admin HTTP API (sync-server/README.md): room info, link operations, chaos and
 * the server-sent event stream. Responses are network input, so every one is validated (zod) before the
 * UI sees it; failures become `AdminError`s with a message that says what went wrong.
 */

import type { RoomControl } from '@converge/checkout';
import { errorMessage, type StoragePlacement } from '@converge/protocol';
import { z } from 'zod';

const chaosConfig = z.object({
  delayMs: z.number(),
  jitterMs: z.number(),
  dropRate: z.number(),
  duplicateRate: z.number(),
  reorderWindow: z.number(),
  reorderHoldMs: z.number(),
  seed: z.number(),
});
export type ChaosConfig = z.infer<typeof chaosConfig>;

const directedLink = z.object({ from: z.string(), to: z.string() });
export type DirectedLink = z.infer<typeof directedLink>;

const nodeInfo = z.object({
  id: z.string(),
  role: z.string(),
  reachable: z.array(z.string()),
  joinedAt: z.number().optional(),
});
export type NodeInfo = z.infer<typeof nodeInfo>;

const roomChaos = z.object({
  room: chaosConfig.nullable(),
  links: z.array(z.object({ from: z.string(), to: z.string(), config: chaosConfig })),
});
export type RoomChaos = z.infer<typeof roomChaos>;

const roomInfo = z.object({
  id: z.string(),
  nodes: z.array(nodeInfo),
  cut: z.array(directedLink),
  chaos: roomChaos,
});
export type RoomInfo = z.infer<typeof roomInfo>;

const channelTraffic = z.object({ frames: z.number(), bytes: z.number() });
const linkTraffic = z.object({
  from: z.string(),
  to: z.string(),
  /** By channel (an engine's wire code, as a string): the relay does not know which engine it is. */
  channels: z.record(z.string(), channelTraffic),
  dropped: z.record(z.string(), z.number()),
  duplicated: z.number(),
});
export type LinkTraffic = z.infer<typeof linkTraffic>;

const linkChange = z.object({
  cut: z.array(directedLink),
  healed: z.array(directedLink),
  room: roomInfo.optional(),
});

/** The link operations of the admin API (POST /rooms/:room/links). */
export type LinkOperation =
  | { readonly op: 'cut' | 'heal'; readonly from: string; readonly to: string; readonly bothWays?: boolean }
  | { readonly op: 'isolate'; readonly node: string }
  | {
      readonly op: 'split';
      readonly groups: readonly (readonly string[])[];
      /** Where the storage peer goes; then the groups name the windows only. */
      readonly storage?: StoragePlacement;
    }
  | { readonly op: 'bridge'; readonly node: string; readonly groups: readonly (readonly string[])[] }
  | { readonly op: 'heal-all' };

/** What the event stream reports, narrowed to what the network panel uses. */
export type AdminEvent =
  | { readonly type: 'room-changed'; readonly room: string }
  | { readonly type: 'traffic'; readonly room: string; readonly links: readonly LinkTraffic[] }
  | { readonly type: 'snapshot' };

const ROOM_EVENTS = new Set(['room-created', 'room-removed', 'join', 'leave', 'cut', 'heal', 'chaos']);
const roomEvent = z.object({ room: z.string() });
const trafficEvent = z.object({ room: z.string(), links: z.array(linkTraffic) });

export class AdminError extends Error {
  override readonly name = 'AdminError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The part of EventSource the client uses (the browser's, or a fake in tests). */
export interface EventSourceLike {
  addEventListener(type: string, listener: (event: { data?: unknown }) => void): void;
  onerror: ((event: unknown) => void) | null;
  onopen: ((event: unknown) => void) | null;
  close(): void;
}

export interface RelayAdminOptions {
  /** http(s) base URL of the admin API, e.g. http://127.0.0.1:4455 */
  readonly baseUrl: string;
  /** The window's room credential (admin rights in its room), or a function that provides it. */
  readonly token?: string | (() => Promise<string>);
  readonly fetch: (input: string, init?: RequestInit) => Promise<Response>;
  readonly eventSource?: (url: string) => EventSourceLike;
}

export class RelayAdmin {
  private readonly base: string;

  constructor(private readonly options: RelayAdminOptions) {
    this.base = options.baseUrl.replace(/\/+$/, '');
  }

  /** Every room the relay has. */
  async rooms(): Promise<RoomInfo[]> {
    return (await this.request('/rooms', z.object({ rooms: z.array(roomInfo) }))).rooms;
  }

  /**
   * The room, or undefined when the relay has no such room yet (nobody joined it). Asks the room list,
   * not /rooms/:room, so that a room that does not exist yet is not a failed request in the console.
   */
  async findRoom(room: string): Promise<RoomInfo | undefined> {
    return (await this.rooms()).find((r) => r.id === room);
  }

  /** The room, or undefined when the relay has no such room yet (nobody joined it). */
  async room(room: string): Promise<RoomInfo | undefined> {
    try {
      return await this.request(`/rooms/${encodeURIComponent(room)}`, roomInfo);
    } catch (error) {
      if (error instanceof AdminError && error.status === 404) return undefined;
      throw error;
    }
  }

  async traffic(room: string): Promise<LinkTraffic[]> {
    const body = await this.request(
      `/rooms/${encodeURIComponent(room)}/traffic`,
      z.object({ links: z.array(linkTraffic) }),
    );
    return body.links;
  }

  async links(
    room: string,
    operation: LinkOperation,
  ): Promise<{ cut: DirectedLink[]; healed: DirectedLink[] }> {
    const body = await this.request(`/rooms/${encodeURIComponent(room)}/links`, linkChange, {
      method: 'POST',
      body: operation,
    });
    return { cut: body.cut, healed: body.healed };
  }

  /** Set (or clear with null) the chaos of the whole room, or of one directed link. */
  async setChaos(room: string, config: Partial<ChaosConfig> | null, link?: DirectedLink): Promise<RoomChaos> {
    const path =
      link === undefined
        ? `/rooms/${encodeURIComponent(room)}/chaos`
        : `/rooms/${encodeURIComponent(room)}/chaos/${encodeURIComponent(link.from)}/${encodeURIComponent(link.to)}`;
    return this.request(path, roomChaos, { method: 'PUT', body: { config } });
  }

  /** An operator's control of the room's checkout authority (set stock, inject a failure, pause, resume). */
  async checkoutControl(room: string, control: RoomControl): Promise<void> {
    await this.request(
      `/rooms/${encodeURIComponent(room)}/checkout`,
      z.object({ stock: z.record(z.string(), z.number()) }),
      {
        method: 'POST',
        body: control,
      },
    );
  }

  /**
   * Follow the event stream: `onEvent` gets every event (the raw stream carries every room); `onState`
   * whether the stream is connected. The browser's EventSource reconnects by itself. Returns a stop function.
   */
  subscribe(onEvent: (event: AdminEvent) => void, onState: (connected: boolean) => void): () => void {
    const open = this.options.eventSource;
    if (open === undefined) return () => {};
    let stopped = false;
    let source: EventSourceLike | undefined;
    this.credential().then(
      (token) => {
        if (stopped) return;
        source = this.follow(open, token, onEvent, onState);
      },
      () => {
        if (!stopped) onState(false);
      },
    );
    return () => {
      stopped = true;
      source?.close();
    };
  }

  private follow(
    open: (url: string) => EventSourceLike,
    token: string | undefined,
    onEvent: (event: AdminEvent) => void,
    onState: (connected: boolean) => void,
  ): EventSourceLike | undefined {
    // EventSource cannot send headers: the relay takes the credential as a query parameter here.
    const query = token !== undefined ? `?token=${encodeURIComponent(token)}` : '';
    let source: EventSourceLike;
    try {
      source = open(`${this.base}/events${query}`);
    } catch {
      onState(false);
      return undefined;
    }
    source.onopen = () => onState(true);
    source.onerror = () => onState(false);
    source.addEventListener('snapshot', () => onEvent({ type: 'snapshot' }));
    for (const type of ROOM_EVENTS) {
      source.addEventListener(type, (event) => {
        const parsed = parseEventData(event.data, roomEvent);
        if (parsed !== undefined) onEvent({ type: 'room-changed', room: parsed.room });
      });
    }
    source.addEventListener('traffic', (event) => {
      const parsed = parseEventData(event.data, trafficEvent);
      if (parsed !== undefined) onEvent({ type: 'traffic', room: parsed.room, links: parsed.links });
    });
    return source;
  }

  private async credential(): Promise<string | undefined> {
    const token = this.options.token;
    if (typeof token !== 'function') return token;
    try {
      return await token();
    } catch (error) {
      throw new AdminError(`no credential for the relay yet: ${errorMessage(error)}`);
    }
  }

  private async request<T>(
    path: string,
    schema: z.ZodType<T>,
    init?: { method: string; body: unknown },
  ): Promise<T> {
    const headers: Record<string, string> = {};
    const token = await this.credential();
    if (token !== undefined) headers.authorization = `Bearer ${token}`;
    if (init !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.options.fetch(`${this.base}${path}`, {
        method: init?.method ?? 'GET',
        headers,
        ...(init !== undefined ? { body: JSON.stringify(init.body) } : {}),
      });
    } catch (error) {
      throw new AdminError(`relay admin API unreachable at ${this.base}: ${errorMessage(error)}`);
    }
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      throw new AdminError(`relay answered ${response.status} with a body that is not JSON`, response.status);
    }
    if (!response.ok) {
      const reason = z.object({ error: z.string() }).safeParse(body);
      throw new AdminError(
        reason.success ? reason.data.error : `relay answered ${response.status}`,
        response.status,
      );
    }
    const parsed = schema.safeParse(body);
    if (!parsed.success)
      throw new AdminError(`unexpected answer from ${path}: ${z.prettifyError(parsed.error)}`);
    return parsed.data;
  }
}

function parseEventData<T>(data: unknown, schema: z.ZodType<T>): T | undefined {
  if (typeof data !== 'string') return undefined;
  try {
    const parsed = schema.safeParse(JSON.parse(data));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
