/**
 * The relay: one HTTP server that upgrades WebSocket connections (nodes) and serves the admin API.
 * `createRelay` starts it and returns a handle for embedding (the Electron main process, tests, the
 * CLI); port 0 picks a free port and `url` reports the real one.
 */

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import {
  type Cancel,
  CloseCode,
  errorMessage,
  every,
  idProblem,
  realTimers,
  type Timers,
} from '@converge/protocol';
import { WebSocketServer } from 'ws';
import { HostPolicy, hostNamesFor, OriginPolicy, type Principal } from './access.ts';
import { AdminApi } from './admin-api.ts';
import { askPeer, proxyAdminRequest, roomOfAdminPath } from './admin-forwarding.ts';
import { type ChaosConfig, parseChaosConfig } from './chaos.ts';
import {
  type ClusterEvent,
  type ClusterRooms,
  ControlError,
  type HealthInfo,
  type RelayControl,
  type RelayStats,
} from './control.ts';
import {
  CredentialAuthority,
  type CredentialRequest,
  generateAdminToken,
  type MintedCredential,
} from './credentials.ts';
import { EventBus, type RelayEventListener, VIOLATIONS, type Violation } from './events.ts';
import type { GatewayPlugin, GatewayRequest, RelayGateway } from './gateways.ts';
import { type RelayLimits, resolveLimits } from './limits.ts';
import type { DirectedLink, LinkOperation } from './link-table.ts';
import { type LocalNodeOptions, LocalTransport } from './local-node.ts';
import { createLogger, type Logger, type LogLevel } from './log.ts';
import { PendingSockets } from './pending-sockets.ts';
import type { LinkChange, Room, RoomChaosInfo, RoomInfo, RoomServices } from './room.ts';
import type { AuthorityPlugin, RoomAuthorities } from './room-authority.ts';
import { controlsOf, restoreControls } from './room-controls.ts';
import type { OwnershipPlugin, RoomLease, RoomOwnership } from './room-ownership.ts';
import { RoomRegistry } from './room-registry.ts';
import type { RoomStorage, StorageHost, StoragePlugin, StorageStatus } from './room-storage.ts';
import { type RoomRefusal, SocketConnection } from './socket-connection.ts';
import { SourceLimiter } from './source-limiter.ts';
import type { DepartedTrafficReport, LinkTrafficReport } from './traffic.ts';
import { FORWARDED_BY_HEADER } from './upstream.ts';

export interface RelayOptions {
  /** TCP port; 0 (the default) picks a free one. */
  readonly port?: number;
  /** Address to bind; default 127.0.0.1. */
  readonly host?: string;
  /**
   * The admin credential: every admin call, and minting room credentials (which hellos must carry).
   * Room credentials are signed with a key derived from it. Default: a random one (see `adminToken`).
   */
  readonly adminToken?: string;
  /**
   * Host names (`name` or `name:port`) requests may name besides 127.0.0.1, localhost, [::1] and the
   * bound address; any other Host header is refused (DNS rebinding). A name without a port means the
   * relay's port.
   */
  readonly allowedHosts?: readonly string[];
  /**
   * Room storage (the storage peers of ./storage, say: `storagePeers(dataDir)`); without it the relay
   * only routes, and a room's state lives in its windows.
   */
  readonly storage?: StoragePlugin;
  /**
   * Each room's checkout authority (`authorities(dataDir)` of ./checkout); without it checkout has no
   * authority to reach, and windows say so.
   */
  readonly authority?: AuthorityPlugin;
  /**
   * Gateways for other sync protocols on their own paths (./interop: y-websocket at /yjs/ROOM and
   * automerge-repo at /automerge); without them, every path is the relay's own protocol.
   */
  readonly gateways?: GatewayPlugin;
  /**
   * Run as one node of a cluster (the Redis cluster of ./cluster, say): every room has one owner node
   * at a time, and a window joining a room another node owns is forwarded there.
   */
  readonly ownership?: OwnershipPlugin;
  readonly limits?: Partial<RelayLimits>;
  /** Extra browser origins allowed besides http(s) localhost pages (e.g. the packaged app's origin). */
  readonly allowedOrigins?: readonly string[];
  /** Interval of the traffic events on the admin stream. */
  readonly trafficIntervalMs?: number;
  readonly logLevel?: LogLevel;
  /** Where log lines go (default stdout); ignored when `logger` is given. */
  readonly logSink?: (line: string) => void;
  readonly logger?: Logger;
  /** Timers for chaos, limits and heartbeats (a VirtualClock makes runs replayable). */
  readonly clock?: Timers;
}

export interface Relay extends RelayControl {
  /** ws://host:port — where nodes connect (with the mount's path when attached). */
  readonly url: string;
  /** http://host:port — the admin API (with the mount's prefix when attached). */
  readonly adminUrl: string;
  readonly host: string;
  readonly port: number;
  /** The admin credential (the one given, or the one generated at start). */
  readonly adminToken: string;
  /**
   * A node in this process (a room's storage peer), as a Transport. It joins when started; the
   * relay's room and node limits apply (start throws ControlError when they refuse it).
   */
  openLocalNode(options: LocalNodeOptions): LocalTransport;
  /** In a cluster, this node's lease on the room (with its fencing token) while it owns the room. */
  lease(room: string): RoomLease | undefined;
  /** Stop accepting, tell every node the relay is going away, close everything. Idempotent. */
  close(): Promise<void>;
}

export class RelayConfigError extends Error {
  override readonly name = 'RelayConfigError';
}

/**
 * Where an attached relay lives on someone else's HTTP server: that server's address and port (for the
 * Host check and the URLs), the path of the WebSocket endpoint and the prefix of the admin API.
 */
export interface RelayMount {
  readonly host: string;
  readonly port: number;
  /** e.g. '/relay': nodes connect to ws://host:port/relay. */
  readonly relayPath: string;
  /** e.g. '/api': the admin API is http://host:port/api/rooms/… */
  readonly adminPath: string;
}

export type AttachedRelayOptions = Omit<RelayOptions, 'port' | 'host'> & { readonly mount: RelayMount };

/**
 * A relay served through another HTTP server (web mode's, so pages reach it on their own origin): it
 * does not listen; the host server hands it the requests under `adminPath` and the upgrades of
 * `relayPath`. Everything else (Host and Origin checks, credentials, limits) is the relay's as usual.
 */
export interface AttachedRelay extends Relay {
  /** An admin API request whose path starts with the mount's `adminPath`. */
  handleRequest(req: IncomingMessage, res: ServerResponse): void;
  /** A WebSocket upgrade of the mount's `relayPath`. */
  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

/** How long a node waits for another's answer about its rooms (`/rooms` across the cluster). */
const PEER_TIMEOUT_MS = 2000;

export async function createRelay(options: RelayOptions = {}): Promise<Relay> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  const core = await prepare(options, port);
  try {
    await core.listen(host, port);
    // Joins wait for the cluster (refused with 503 until then), so no room is served without a lease.
    if (options.ownership !== undefined) await core.startOwnership(options.ownership);
    core.serve();
  } catch (error) {
    await core.close(); // the storage peers' files, opened by prepare
    throw error;
  }
  return core;
}

/** A relay that serves through another HTTP server instead of listening (see AttachedRelay). */
export async function attachRelay(options: AttachedRelayOptions): Promise<AttachedRelay> {
  const { mount } = options;
  for (const path of [mount.relayPath, mount.adminPath]) {
    if (!/^\/[\w.-]+$/.test(path))
      throw new RelayConfigError(`a mount path is one segment like /relay, got ${path}`);
  }
  const core = await prepare(options, mount.port);
  core.attach(mount);
  try {
    if (options.ownership !== undefined) await core.startOwnership(options.ownership);
  } catch (error) {
    await core.close();
    throw error;
  }
  core.serve();
  return core;
}

/** Validate the options, create the relay, start its storage peers. */
async function prepare(options: RelayOptions, port: number): Promise<RelayCore> {
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new RelayConfigError(`invalid port ${port}`);
  if (options.adminToken === '') throw new RelayConfigError('the admin token must not be empty');
  try {
    new HostPolicy(options.allowedHosts ?? [], port); // fail now on a malformed name
  } catch (error) {
    throw new RelayConfigError(errorMessage(error));
  }
  const limits = resolveLimits(options.limits);
  const core = new RelayCore(limits, options);
  // Storage first: a window that joined before the storage was watching for new rooms would open a
  // room that never gets a storage peer, so its edits would never be stored.
  if (options.storage !== undefined) await core.startStorage(options.storage);
  if (options.authority !== undefined) await core.startAuthority(options.authority);
  if (options.gateways !== undefined) await core.startGateways(options.gateways);
  return core;
}

class RelayCore implements AttachedRelay {
  private readonly clock: Timers;
  private readonly log: Logger;
  private readonly events: EventBus;
  private readonly registry: RoomRegistry;
  private readonly server: Server;
  private readonly wss: WebSocketServer;
  private readonly admin: AdminApi;
  private readonly credentials: CredentialAuthority;
  private readonly origins: OriginPolicy;
  private hosts: HostPolicy;
  private readonly pending: PendingSockets;
  private readonly roomCreations: SourceLimiter;
  private readonly connections = new Set<SocketConnection>();
  private localNodes = 0;
  private readonly violationCounts = Object.fromEntries(VIOLATIONS.map((v) => [v, 0])) as Record<
    Violation,
    number
  >;
  private readonly startedAt: number;
  private readonly timers: Cancel[] = [];
  private storage: RoomStorage | undefined;
  private authority: RoomAuthorities | undefined;
  private readonly gateways = new Map<string, RelayGateway>();
  /** Open sockets of gateway clients (they count against maxConnections like nodes' sockets). */
  private gatewaySockets = 0;
  private ownership: RoomOwnership | undefined;
  /** Per room, the last save of its cuts and chaos still under way (cluster only). */
  private readonly controlSaves = new Map<string, Promise<void>>();
  private closing: Promise<void> | undefined;
  /** Set when attached to another server instead of listening. */
  private mount: RelayMount | undefined;
  host = '';
  port = 0;
  readonly adminToken: string;

  constructor(
    private readonly limits: RelayLimits,
    private readonly options: RelayOptions,
  ) {
    this.clock = options.clock ?? realTimers;
    this.log = options.logger ?? createLogger(options.logLevel ?? 'info', options.logSink, () => Date.now());
    this.events = new EventBus(() => this.clock.now());
    this.startedAt = this.clock.now();
    this.adminToken = options.adminToken ?? generateAdminToken();
    this.credentials = new CredentialAuthority(this.adminToken);
    this.origins = new OriginPolicy(options.allowedOrigins ?? []);
    // Until listen() knows the port, no Host header matches.
    this.hosts = new HostPolicy([], -1);
    this.pending = new PendingSockets(this.clock, limits, (socket, why, detail) =>
      this.countViolation(why, { remote: remoteOfSocket(socket), detail }),
    );
    this.roomCreations = new SourceLimiter(limits.roomCreationsPerMinute / 60, limits.roomCreationBurst);
    const services: RoomServices = {
      clock: this.clock,
      limits,
      events: this.events,
      log: this.log,
      violation: (violation, where) => this.countViolation(violation, where),
    };
    this.registry = new RoomRegistry(services);
    this.admin = new AdminApi({
      control: this,
      hosts: () => this.hosts,
      origins: this.origins,
      authenticate: (token) => this.authenticate(token),
      resource: (name) => this.gatewayResource(name),
      log: this.log,
      refused: (violation, remote, detail) => this.countViolation(violation, { remote, detail }),
    });
    this.wss = new WebSocketServer({
      noServer: true,
      maxPayload: limits.maxFrameBytes,
      perMessageDeflate: false,
      clientTracking: false,
    });
    this.wss.on('error', (error) => this.log.error('websocket-server-error', { error: error.message }));
    // Node's own header timeout is the backstop for later requests on a kept-alive socket.
    this.server = createServer(
      {
        headersTimeout: limits.headerTimeoutMs,
        requestTimeout: Math.max(limits.headerTimeoutMs, 30_000),
        connectionsCheckingInterval: Math.min(1000, limits.headerTimeoutMs),
      },
      (req, res) => {
        this.pending.settle(req.socket);
        this.handleAdmin(req, res);
      },
    );
    this.server.on('connection', (socket: Socket) => this.pending.admit(socket));
    this.server.on('upgrade', (req, socket, head) => this.onUpgrade(req, socket, head));
    this.server.on('clientError', (_error, socket) => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
      else socket.destroy();
    });
    this.server.on('error', (error) => this.log.error('http-server-error', { error: error.message }));
  }

  get url(): string {
    return `ws://${this.hostForUrl()}:${this.port}${this.mount?.relayPath ?? ''}`;
  }

  get adminUrl(): string {
    return `http://${this.hostForUrl()}:${this.port}${this.mount?.adminPath ?? ''}`;
  }

  async listen(host: string, port: number): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      const onError = (error: Error): void => reject(error);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        resolve();
      });
    });
    const address = this.server.address();
    this.bound(host, typeof address === 'object' && address !== null ? address.port : port);
  }

  /** Serve through another server at `mount` (attachRelay) instead of listening. */
  attach(mount: RelayMount): void {
    this.mount = mount;
    this.bound(mount.host, mount.port);
  }

  private bound(host: string, port: number): void {
    this.host = host;
    this.port = port;
    this.hosts = new HostPolicy(hostNamesFor(host, this.options.allowedHosts ?? []), this.port);
  }

  /** Start serving: timers, and the `listening` line (after the cluster is joined, when there is one). */
  serve(): void {
    this.timers.push(every(this.clock, this.limits.heartbeatMs, () => this.heartbeat()));
    this.timers.push(every(this.clock, this.options.trafficIntervalMs ?? 1000, () => this.reportTraffic()));
    this.log.info('listening', {
      url: this.url,
      allowedHosts: this.hosts.list(),
      adminTokenGenerated: this.options.adminToken === undefined,
      dataDir: this.options.storage?.location ?? null,
    });
  }

  handleRequest(req: IncomingMessage, res: ServerResponse): void {
    const prefix = this.mount?.adminPath ?? '';
    const url = req.url ?? '/';
    const rest = url.slice(prefix.length); // '', '/rooms/…', '?…'
    if (!url.startsWith(prefix) || !(rest === '' || rest.startsWith('/') || rest.startsWith('?'))) {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not an admin API path"}\n');
      return;
    }
    // The admin API routes on the path below the mount.
    req.url = rest.startsWith('/') ? rest : `/${rest}`;
    this.handleAdmin(req, res);
  }

  /**
   * In a cluster, a call about one room is answered by the room's owner: proxied there when another
   * node owns it (after this node's Host and Origin checks; the owner checks the credential). A call
   * that changes a room nobody owns claims it here, as a window's join would.
   */
  private handleAdmin(req: IncomingMessage, res: ServerResponse): void {
    const ownership = this.ownership;
    // Minting is pure (every node signs with the same key): any node answers it, owner or not.
    const minting = /^\/rooms\/[^/]+\/credentials\/?(\?|$)/.test(req.url ?? '');
    const room = ownership === undefined || minting ? undefined : roomOfAdminPath(req.url ?? '/');
    const forwarded = req.headers[FORWARDED_BY_HEADER] !== undefined;
    if (
      ownership === undefined ||
      room === undefined ||
      !this.hosts.allows(req.headers.host) ||
      !this.origins.allows(req.headers.origin)
    ) {
      this.admin.handle(req, res);
      return;
    }
    const claim = req.method !== 'GET' && req.method !== 'OPTIONS';
    ownership.place(room, { claim }).then(
      (placement) => {
        if (placement.kind === 'here') {
          res.once('close', placement.done);
          this.admin.handle(req, res);
        } else if (placement.kind === 'elsewhere' && !forwarded) {
          proxyAdminRequest(req, res, placement.url, ownership.nodeId, (error) =>
            this.log.warn('admin-forward-failed', { room, owner: placement.node, error }),
          );
        } else if (placement.kind === 'unavailable' && !claim) {
          this.admin.handle(req, res); // nobody owns the room: this node answers what it knows (nothing live)
        } else {
          // A change must not be applied by a node that does not own the room.
          const reason =
            placement.kind === 'unavailable' ? placement.reason : `room ${room} moved to ${placement.node}`;
          res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' });
          res.end(`${JSON.stringify({ error: `${reason}; try again` })}\n`);
        }
      },
      () => this.admin.handle(req, res),
    );
  }

  handleUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // The host server let its headers through; until it joins a room it counts as pending here.
    this.pending.admit(req.socket);
    this.onUpgrade(req, socket, head);
  }

  // --- RelayControl -----------------------------------------------------------------------------

  health(): HealthInfo {
    return {
      ok: true,
      uptimeMs: this.clock.now() - this.startedAt,
      rooms: this.registry.size,
      connections: this.connections.size,
    };
  }

  stats(): RelayStats {
    return {
      uptimeMs: this.clock.now() - this.startedAt,
      rooms: this.registry.size,
      connections: this.connections.size,
      nodes: this.registry.all().reduce((n, room) => n + room.size, 0),
      violations: { ...this.violationCounts },
      limits: this.limits,
      dataDir: this.options.storage?.location ?? null,
      allowedHosts: this.hosts.list(),
      pendingSockets: this.pending.size,
      cluster: this.ownership?.info() ?? null,
    };
  }

  rooms(): RoomInfo[] {
    return this.registry.all().map((room) => room.info());
  }

  async clusterRooms(): Promise<ClusterRooms> {
    const ownership = this.ownership;
    if (ownership === undefined) return { rooms: this.rooms(), unreachable: [] };
    const byId = new Map(this.rooms().map((room) => [room.id, { ...room, owner: ownership.nodeId }]));
    const unreachable: string[] = [];
    const peers = ownership.info().nodes.filter((node) => node.id !== ownership.nodeId);
    const answers = await Promise.all(
      peers.map((peer) =>
        askPeer(peer.url, '/rooms', this.adminToken, ownership.nodeId, PEER_TIMEOUT_MS).then(
          (body) => ({ peer, rooms: (body as { rooms?: RoomInfo[] }).rooms ?? [] }),
          (error: unknown) => {
            this.log.warn('cluster-rooms-unanswered', { node: peer.id, error: errorMessage(error) });
            unreachable.push(peer.id);
            return { peer, rooms: [] };
          },
        ),
      ),
    );
    const leases = new Map(ownership.info().leases.map((lease) => [lease.room, lease.owner]));
    for (const { peer, rooms } of answers) {
      for (const room of rooms) {
        // Mid-handover two nodes may both still show a room: the lease holder's answer wins.
        if (byId.has(room.id) && leases.get(room.id) !== peer.id) continue;
        byId.set(room.id, { ...room, owner: peer.id });
      }
    }
    return {
      rooms: [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)),
      unreachable: unreachable.sort(),
    };
  }

  room(id: string): RoomInfo | undefined {
    return this.registry.get(id)?.info();
  }

  traffic(room: string): LinkTrafficReport[] | undefined {
    return this.registry.get(room)?.trafficReport();
  }

  departedTraffic(room: string): DepartedTrafficReport | undefined {
    return this.registry.get(room)?.departedTrafficReport();
  }

  applyLinks(roomId: string, operation: LinkOperation, source?: string): LinkChange {
    const room = this.openRoom(roomId, source);
    try {
      const change = room.applyLinks(operation);
      this.saveControls(room);
      return change;
    } finally {
      this.registry.release(room);
    }
  }

  setChaos(
    roomId: string,
    link: DirectedLink | null,
    config: Partial<ChaosConfig> | null,
    source?: string,
  ): RoomChaosInfo {
    const parsed = config === null ? null : parseChaosConfig(config);
    if (
      link !== null &&
      (idProblem(link.from) !== undefined || idProblem(link.to) !== undefined || link.from === link.to)
    ) {
      throw new ControlError(400, 'a chaos link needs two different valid node ids');
    }
    const room = this.openRoom(roomId, source);
    room.setChaos(link, parsed);
    this.saveControls(room);
    const info = room.chaosInfo();
    this.registry.release(room);
    return info;
  }

  /** In a cluster, save the room's cuts and chaos under its lease, for whoever owns it next. */
  private saveControls(room: Room): void {
    const slot = this.lease(room.id)?.controls;
    if (slot === undefined) return;
    const saving = slot.save(controlsOf(room));
    this.controlSaves.set(room.id, saving);
    saving.then(
      () => {
        if (this.controlSaves.get(room.id) === saving) this.controlSaves.delete(room.id);
      },
      (error: unknown) => {
        this.log.warn('room-controls-save-failed', { room: room.id, error: errorMessage(error) });
        if (this.controlSaves.get(room.id) === saving) this.controlSaves.delete(room.id);
      },
    );
  }

  whenControlsSaved(room: string): Promise<void> {
    const saving = this.controlSaves.get(room);
    return (saving ?? Promise.resolve()).catch((error: unknown) => {
      throw new ControlError(
        503,
        `the change was applied but not saved for the room's next owner (${errorMessage(error)}); try again`,
      );
    });
  }

  subscribe(listener: RelayEventListener): () => void {
    return this.events.subscribe(listener);
  }

  subscribeCluster(listener: (event: ClusterEvent) => void): () => void {
    const ownership = this.ownership;
    if (ownership?.events === undefined) return this.events.subscribe(listener);
    const relay = ownership.nodeId;
    const local = this.events.subscribe((event) => listener({ ...event, relay }));
    const remote = ownership.events.subscribe((from, event) => listener({ ...event, relay: from }));
    return () => {
      local();
      remote();
    };
  }

  mintCredential(request: CredentialRequest): Promise<MintedCredential> {
    return this.credentials.mint(request);
  }

  openLocalNode(options: LocalNodeOptions): LocalTransport {
    return new LocalTransport(
      { maxBundleBytes: this.limits.maxFrameBytes, ...options },
      (endpoint, role) => {
        const room = this.openRoom(options.room);
        // A node in this process holds no token; its own id makes it irreplaceable from outside.
        const grant = { credentialId: `in-process:${++this.localNodes}`, rights: ['read', 'write'] as const };
        const joined = room.join(options.nodeId, role, endpoint, grant);
        if (!joined.ok) {
          this.registry.release(room);
          throw new ControlError(409, joined.reason);
        }
        return {
          room,
          member: joined.member,
          leave: () => {
            room.leave(joined.member, 'closed');
            this.registry.release(room);
          },
        };
      },
      (nodeId, error) =>
        this.log.error('local-node-handler-failed', {
          node: nodeId,
          room: options.room,
          error: error instanceof Error ? (error.stack ?? error.message) : String(error),
        }),
    );
  }

  close(): Promise<void> {
    this.closing ??= this.shutdown();
    return this.closing;
  }

  /** Start the storage plugin; it hears of every join and leave (a storage peer per room with a window). */
  async startStorage(plugin: StoragePlugin): Promise<void> {
    const storage = await plugin.start(this.pluginHost());
    this.storage = storage;
    this.reconcileOnMembership(storage);
  }

  /** Start the authority plugin; like storage, it hears of every join and leave. */
  async startAuthority(plugin: AuthorityPlugin): Promise<void> {
    const authority = await plugin.start(this.pluginHost());
    this.authority = authority;
    this.reconcileOnMembership(authority);
  }

  private pluginHost(): StorageHost {
    return {
      openLocalNode: (options) => this.openLocalNode(options),
      hasWindows: (room) => this.hasWindows(room),
      lease: (room) => this.lease(room),
      claim: async (room) => {
        if (this.ownership === undefined || this.closing !== undefined) return undefined;
        const placement = await this.ownership.place(room, { claim: true });
        return placement.kind === 'here' ? placement.done : undefined;
      },
      log: this.log,
      clock: this.clock,
    };
  }

  private reconcileOnMembership(plugin: { reconcile(room: string): Promise<void> }): void {
    this.events.subscribe((event) => {
      // reconcile runs its check on a later microtask: the room is still routing this join or leave.
      if (event.type === 'join' || event.type === 'leave') void plugin.reconcile(event.room);
    });
  }

  /** Start the gateways; each serves the WebSocket path of its segment. */
  async startGateways(plugin: GatewayPlugin): Promise<void> {
    const gateways = await plugin.start({
      openLocalNode: (options) => this.openLocalNode(options),
      log: this.log,
      violation: ({ remote, room, detail }) => this.countViolation('bad-frame', { remote, room, detail }),
    });
    for (const gateway of gateways) {
      if (this.gateways.has(gateway.segment))
        throw new RelayConfigError(`two gateways serve the path /${gateway.segment}`);
      this.gateways.set(gateway.segment, gateway);
    }
  }

  private gatewayResource(name: string) {
    for (const gateway of this.gateways.values()) {
      const resource = gateway.resources?.[name];
      if (resource !== undefined) return resource;
    }
    return undefined;
  }

  /** Join the cluster: from now on a room is served by its owner node only. */
  async startOwnership(plugin: OwnershipPlugin): Promise<void> {
    this.ownership = await plugin.start({
      url: this.url,
      hasRoom: (room) => this.registry.get(room) !== undefined,
      evict: (room, reason) => this.evict(room, reason),
      log: this.log,
    });
    const ownership = this.ownership;
    this.timers.push(every(this.clock, ownership.checkEveryMs, () => void this.checkForwarded(ownership)));
    // Every event also goes to the other nodes' admin streams.
    const channel = ownership.events;
    if (channel !== undefined) this.events.subscribe((event) => channel.publish(event));
    this.events.subscribe((event) => {
      // Once the relay forgot the room and its storage finished writing, the lease can go.
      if (event.type === 'room-removed') {
        void (this.storage?.reconcile(event.room) ?? Promise.resolve()).then(() =>
          ownership.settle(event.room),
        );
      }
    });
  }

  /**
   * Close forwarded connections whose room is no longer owned by the node they are forwarded to (it
   * stopped, or lost its lease while paused): the windows reconnect and reach the current owner.
   */
  private async checkForwarded(ownership: RoomOwnership): Promise<void> {
    const byRoom = new Map<string, SocketConnection[]>();
    for (const connection of this.connections) {
      const target = connection.forwarding();
      if (target === undefined) continue;
      const list = byRoom.get(target.room) ?? [];
      list.push(connection);
      byRoom.set(target.room, list);
    }
    await Promise.all(
      [...byRoom].map(async ([room, connections]) => {
        let owner: string | undefined;
        try {
          owner = await ownership.owner(room);
        } catch {
          return; // Redis unreachable: nothing is known, nothing changes
        }
        for (const connection of connections) {
          if (connection.forwarding()?.owner === owner) continue;
          this.log.info('forward-moved', { room, from: connection.forwarding()?.owner, to: owner ?? null });
          connection.close(CloseCode.GoingAway, `room ${room} moved to another node`);
        }
      }),
    );
  }

  /** This node's lease on the room, when it runs in a cluster and owns the room. */
  lease(room: string): RoomLease | undefined {
    return this.ownership?.lease(room);
  }

  /** The room's lease was lost: its nodes leave (windows reconnect to the next owner), its storage unloads. */
  private async evict(roomId: string, reason: string): Promise<void> {
    const room = this.registry.get(roomId);
    if (room === undefined) return;
    this.log.warn('room-evicted', { room: roomId, reason });
    room.closeAll(CloseCode.GoingAway, reason);
    this.registry.forget(room);
    await Promise.all([this.storage?.reconcile(roomId), this.authority?.reconcile(roomId)]);
  }

  hasWindows(roomId: string): boolean {
    return this.registry.get(roomId)?.hasWindows() ?? false;
  }

  /** The room's storage peer: what it holds and whether all of it is durable (undefined without one). */
  storageStatus(room: string): Promise<StorageStatus | undefined> {
    return this.storage?.status(room) ?? Promise.resolve(undefined);
  }

  checkoutStatus(room: string): Promise<unknown> {
    return this.authority?.status(room) ?? Promise.resolve(undefined);
  }

  checkoutControl(room: string, body: unknown): Promise<unknown> {
    if (this.authority === undefined)
      throw new ControlError(404, 'this relay runs no checkout authority (start it with a data directory)');
    return this.authority.control(room, body);
  }

  // --- internals --------------------------------------------------------------------------------

  /** Open a room for the admin API or an in-process node (`source` undefined: not rate-limited). */
  private openRoom(id: string, source?: string): Room {
    if (this.closing !== undefined) throw new ControlError(503, 'the relay is shutting down');
    const problem = idProblem(id);
    if (problem !== undefined) throw new ControlError(400, `room id ${problem}`);
    const opened = this.openRoomFor(id, source);
    if (!opened.ok) {
      if (opened.refusal === 'room-creation-rate') {
        this.countViolation('room-creation-rate', { remote: source ?? '?', room: id, detail: opened.reason });
      }
      throw new ControlError(opened.refusal === 'room-limit' ? 409 : 429, opened.reason);
    }
    return opened.room;
  }

  /**
   * The room, created if needed within the room limit and, for a remote `source`, that address's
   * room-creation rate (a client naming ever new rooms would otherwise fill the relay and its disk).
   */
  private openRoomFor(
    id: string,
    source: string | undefined,
  ):
    | { readonly ok: true; readonly room: Room }
    | { readonly ok: false; readonly refusal: RoomRefusal; readonly reason: string } {
    const existing = this.registry.get(id);
    if (existing !== undefined) return { ok: true, room: existing };
    if (source !== undefined && !this.roomCreations.take(source, this.clock.now())) {
      return {
        ok: false,
        refusal: 'room-creation-rate',
        reason: `${source} creates rooms faster than ${this.limits.roomCreationsPerMinute} per minute; try again later`,
      };
    }
    const opened = this.registry.open(id);
    if (!opened.ok) return { ok: false, refusal: 'room-limit', reason: opened.reason };
    // A room this node took over from another owner starts with the cuts and chaos saved under its lease.
    const saved = this.lease(id)?.controls?.saved();
    if (saved !== undefined) {
      restoreControls(opened.room, saved);
      this.log.info('room-controls-restored', { room: id, cut: saved.cut.length });
    }
    return opened;
  }

  /** Who a bearer token stands for: the admin, a room credential's holder, or nobody. */
  private async authenticate(token: string | undefined): Promise<Principal | undefined> {
    if (token === undefined) return undefined;
    if (this.credentials.isAdminToken(token)) return { kind: 'relay-admin' };
    try {
      return { kind: 'room', credential: await this.credentials.verify(token) };
    } catch {
      return undefined;
    }
  }

  private hostForUrl(): string {
    if (this.host === '0.0.0.0' || this.host === '::') return '127.0.0.1';
    return this.host.includes(':') ? `[${this.host}]` : this.host;
  }

  private countViolation(
    violation: Violation,
    where: { remote: string; room?: string; node?: string; detail: string },
  ): void {
    this.violationCounts[violation]++;
    this.events.emit({ type: 'violation', violation, ...where });
    this.log.warn('violation', { violation, ...where });
  }

  private onUpgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    // Until ws owns the socket, its errors (a reset mid-handshake) are ours to swallow.
    socket.on('error', () => socket.destroy());
    const remote = remoteOfSocket(req.socket);
    this.pending.headersReceived(req.socket);
    try {
      if (this.closing !== undefined) {
        rejectUpgrade(socket, 503, 'Service Unavailable', 'the relay is shutting down');
        return;
      }
      if (this.options.ownership !== undefined && this.ownership === undefined) {
        rejectUpgrade(socket, 503, 'Service Unavailable', 'the relay is still joining its cluster');
        return;
      }
      const host = req.headers.host;
      if (!this.hosts.allows(host)) {
        this.countViolation('bad-host', { remote, detail: `Host ${host} is not one of this relay's names` });
        rejectUpgrade(socket, 421, 'Misdirected Request', `this relay does not answer to Host ${host}`);
        return;
      }
      const origin = req.headers.origin;
      if (!this.origins.allows(origin)) {
        this.countViolation('bad-origin', { remote, detail: `origin ${origin} not allowed` });
        rejectUpgrade(socket, 403, 'Forbidden', `origin ${origin} is not allowed`);
        return;
      }
      if (this.connections.size + this.gatewaySockets >= this.limits.maxConnections) {
        this.countViolation('connection-limit', {
          remote,
          detail: `${this.connections.size} connections open`,
        });
        rejectUpgrade(socket, 503, 'Service Unavailable', 'too many connections');
        return;
      }
      const gateway = this.gatewayOf(req);
      if (gateway !== undefined) {
        void this.upgradeToGateway(gateway.gateway, gateway.path, req, socket, head, remote);
        return;
      }
      this.wss.handleUpgrade(req, socket, head, (ws) => {
        if (this.closing !== undefined) {
          ws.terminate();
          return;
        }
        const source = req.socket.remoteAddress ?? 'unknown';
        const connection = new SocketConnection(
          ws,
          socket,
          remote,
          source,
          {
            clock: this.clock,
            limits: this.limits,
            events: this.events,
            log: this.log,
            rooms: this.registry,
            violation: (violation, where) => this.countViolation(violation, where),
            verifyCredential: (token) => this.credentials.verify(token),
            openRoom: (id, from) => this.openRoomFor(id, from),
            joined: () => this.pending.settle(req.socket),
            closed: (c) => this.connections.delete(c),
            ...(this.ownership === undefined
              ? {}
              : { place: (room: string) => this.placeWindow(room), nodeId: this.ownership.nodeId }),
          },
          forwardedBy(req),
        );
        this.connections.add(connection);
        this.log.debug('connect', { remote });
      });
    } catch (error) {
      this.log.error('upgrade-failed', {
        remote,
        error: errorMessage(error),
      });
      socket.destroy();
    }
  }

  /** The gateway whose segment starts the request's path (below the mount's relay path when attached). */
  private gatewayOf(
    req: IncomingMessage,
  ): { readonly gateway: RelayGateway; readonly path: string[] } | undefined {
    if (this.gateways.size === 0) return undefined;
    let pathname = new URL(req.url ?? '/', 'http://relay').pathname;
    // Attached, gateways live below the relay's path: ws://HOST/relay/yjs/ROOM.
    const prefix = this.mount?.relayPath;
    if (prefix !== undefined) {
      if (!pathname.startsWith(`${prefix}/`)) return undefined;
      pathname = pathname.slice(prefix.length);
    }
    const segments = pathname.split('/').filter((s) => s !== '');
    const gateway = this.gateways.get(segments[0] ?? '');
    return gateway === undefined ? undefined : { gateway, path: segments.slice(1) };
  }

  /**
   * A gateway's socket: its credential comes as `?token=` (how y-websocket's `params` and a URL given to
   * automerge-repo's adapter carry it) or `Authorization: Bearer`; a request without a valid one, or one
   * the gateway refuses, gets an HTTP error and no socket.
   */
  private async upgradeToGateway(
    gateway: RelayGateway,
    path: string[],
    req: IncomingMessage,
    socket: Duplex,
    head: Buffer,
    remote: string,
  ): Promise<void> {
    const header = req.headers.authorization;
    const token = header?.startsWith('Bearer ')
      ? header.slice('Bearer '.length)
      : (new URL(req.url ?? '/', 'http://relay').searchParams.get('token') ?? '');
    let request: GatewayRequest;
    try {
      request = { path, credential: await this.credentials.verify(token), remote, request: req };
    } catch (error) {
      this.countViolation('unauthorized', { remote, detail: `/${gateway.segment}: ${errorMessage(error)}` });
      rejectUpgrade(
        socket,
        401,
        'Unauthorized',
        `${errorMessage(error)} (pass a room credential as ?token=)`,
      );
      return;
    }
    const refusal = this.closing === undefined ? gateway.admit(request) : undefined;
    if (this.closing !== undefined || refusal !== undefined) {
      if (refusal?.status === 403) {
        this.countViolation('forbidden', { remote, room: request.credential.room, detail: refusal.message });
      }
      const [status, text] =
        refusal === undefined
          ? [503, 'Service Unavailable']
          : ([
              refusal.status,
              { 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 503: 'Service Unavailable' }[
                refusal.status
              ],
            ] as const);
      rejectUpgrade(socket, status, text, refusal?.message ?? 'the relay is shutting down');
      return;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => {
      this.pending.settle(req.socket);
      if (this.closing !== undefined) {
        ws.terminate();
        return;
      }
      this.gatewaySockets++;
      ws.once('close', () => this.gatewaySockets--);
      gateway.accept(ws, request);
    });
  }

  private placeWindow(room: string) {
    if (this.closing !== undefined || this.ownership === undefined) {
      return Promise.resolve({ kind: 'unavailable' as const, reason: 'the relay is shutting down' });
    }
    return this.ownership.place(room, { claim: true });
  }

  private heartbeat(): void {
    this.roomCreations.prune(this.clock.now());
    for (const connection of [...this.connections]) connection.heartbeat();
    for (const room of this.registry.all()) {
      room.sweepSlowConsumers();
      this.registry.release(room);
    }
    this.admin.pingStreams();
  }

  private reportTraffic(): void {
    for (const room of this.registry.all()) {
      const links = room.takeTrafficChanges();
      if (links.length > 0) this.events.emit({ type: 'traffic', room: room.id, links });
    }
  }

  private async shutdown(): Promise<void> {
    this.log.info('shutting-down', { connections: this.connections.size });
    // Gateways first (what their clients wrote has reached the room), then the storage peers: their
    // pending writes become durable before anything else goes away.
    await Promise.allSettled([...this.gateways.values()].map((gateway) => gateway.close()));
    await this.storage?.close();
    await this.authority?.close();
    // Then the leases, so other nodes can take the rooms over at once.
    await this.ownership?.close();
    for (const cancel of this.timers) cancel();
    this.pending.clear();
    // Attached, the server is not ours (and never listened): only our own connections close.
    const serverClosed =
      this.mount === undefined
        ? new Promise<void>((resolve) => this.server.close(() => resolve()))
        : Promise.resolve();
    for (const room of this.registry.all()) room.closeAll(CloseCode.GoingAway, 'relay shutting down');
    for (const connection of [...this.connections])
      connection.close(CloseCode.GoingAway, 'relay shutting down');
    this.admin.endStreams();
    // Give close handshakes a moment on the real clock (a manual clock would never get there).
    const deadline = Date.now() + this.limits.closeGraceMs;
    while (this.connections.size > 0 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    for (const connection of [...this.connections]) connection.terminate();
    if (this.mount === undefined) this.server.closeAllConnections();
    await serverClosed;
    this.log.info('closed', {});
  }
}

function forwardedBy(req: IncomingMessage): string | undefined {
  const header = req.headers[FORWARDED_BY_HEADER];
  return typeof header === 'string' ? header : undefined;
}

function remoteOfSocket(socket: Socket): string {
  return `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
}

function rejectUpgrade(socket: Duplex, status: number, statusText: string, message: string): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  socket.once('finish', () => socket.destroy());
  socket.end(
    `HTTP/1.1 ${status} ${statusText}\r\nConnection: close\r\nContent-Type: text/plain\r\n` +
      `Content-Length: ${Buffer.byteLength(message)}\r\n\r\n${message}`,
  );
}
