/**
 * The client side of the relay: a `Transport` over one WebSocket to the relay.
 *
 * It says hello, tracks which peers are reachable from welcome / link-up / link-down, hands data
 * frames to the replica, and reconnects with exponential backoff and jitter whenever the
 * connection drops — unless the user switched the window offline, the transport was closed, or the
 * relay refused it for a reason retrying cannot fix (no valid credential, protocol version, replaced).
 * Its id under another credential (`identity-in-use`) is retried: that may be our own stale connection.
 * Everything effectful is injected: the WebSocket constructor (the browser's, or `ws` in Node),
 * timers and the random source for jitter.
 */
import {
  type Cancel,
  CloseCode,
  type ConnectionState,
  dataEntries,
  decodeFrame,
  type ErrorCode,
  encodeFrame,
  errorMessage,
  FrameBundler,
  KnownCuts,
  type LinkDownReason,
  type NodeRole,
  PERMANENT_CLOSE_CODES,
  PROTOCOL_VERSION,
  type RelayFrame,
  type Right,
  realTimers,
  type Timers,
  type Transport,
  type TransportHandlers,
} from '@converge/protocol';

/**
 * The part of the WebSocket API this transport uses; both the browser's WebSocket and the `ws`
 * package's satisfy it. Handler parameters are typed `never` so that either implementation's own
 * event types are accepted; the transport reads only `data`, `code` and `reason` from them.
 */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  onopen: ((event: never) => void) | null;
  onmessage: ((event: never) => void) | null;
  onclose: ((event: never) => void) | null;
  onerror: ((event: never) => void) | null;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** Something the transport noticed that the UI or logs may want to show. */
export type RelayProblem =
  | { readonly kind: 'error-frame'; readonly code: ErrorCode; readonly message: string }
  | { readonly kind: 'closed'; readonly code: number; readonly reason: string; readonly permanent: boolean }
  | { readonly kind: 'malformed-frame'; readonly message: string }
  | { readonly kind: 'frame-too-large'; readonly bytes: number; readonly limit: number }
  | { readonly kind: 'connect-failed'; readonly message: string }
  /** The credential provider failed; the next attempt asks again. */
  | { readonly kind: 'no-credential'; readonly message: string }
  /** The credential grants no write right: local changes are not sent (reported once per connection). */
  | { readonly kind: 'read-only'; readonly room: string }
  /** A handler of the replica threw; the transport carries on (a throw from a socket event would be uncaught). */
  | { readonly kind: 'handler-failed'; readonly message: string };

export interface RelayTransportOptions {
  /** ws:// or wss:// URL of the relay. */
  readonly url: string;
  readonly room: string;
  readonly nodeId: string;
  readonly role?: NodeRole;
  /**
   * The room credential hello carries (minted by the relay's admin API for this room and node id), or
   * a function that provides one, asked before every connection attempt (it may fetch one).
   */
  readonly token?: string | CredentialProvider;
  /** Defaults to the global WebSocket (browsers, Node ≥ 22); pass `ws`'s WebSocket in Node 20. */
  readonly WebSocket?: WebSocketConstructor;
  /** Reconnect delays: doubling from initialMs up to maxMs, each randomized to [½, 1] of itself. */
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  /** Time from connecting to the relay's welcome before the attempt is abandoned. */
  readonly welcomeTimeoutMs?: number;
  /** Uniform in [0, 1), for backoff jitter. */
  readonly random?: () => number;
  /** Real timers by default; a VirtualClock in tests. */
  readonly timers?: Timers;
  readonly onProblem?: (problem: RelayProblem) => void;
}

export type CredentialProvider = () => string | Promise<string>;

const DEFAULT_BACKOFF = { initialMs: 250, maxMs: 10_000 };

function toBytes(data: unknown): Uint8Array | undefined {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

export class RelayTransport implements Transport {
  readonly nodeId: string;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly timers: Timers;
  private readonly random: () => number;
  private readonly backoff: { readonly initialMs: number; readonly maxMs: number };
  private handlers: TransportHandlers | undefined;
  private socket: WebSocketLike | undefined;
  private cancelReconnect: Cancel | undefined;
  private cancelWelcome: Cancel | undefined;
  private attempt = 0;
  private connectionState: ConnectionState = 'offline';
  private readonly peers = new Set<string>();
  /** The room's cut links, from the relay's cuts frames on this connection. */
  private readonly cuts = new KnownCuts();
  private maxFrameBytes = Number.POSITIVE_INFINITY;
  private granted: readonly Right[] = [];
  private readOnlyReported = false;
  /** Bumped whenever a connection attempt is abandoned, so a credential that arrives late is dropped. */
  private attemptGeneration = 0;
  private offline = false;
  private closed = false;
  /** What the replica sends in one task leaves as one frame (protocol's bundler.ts). */
  private readonly outgoing: FrameBundler;

  constructor(private readonly options: RelayTransportOptions) {
    this.nodeId = options.nodeId;
    const ctor =
      options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket ?? undefined;
    if (ctor === undefined) throw new TypeError('no WebSocket implementation: pass options.WebSocket');
    this.WebSocketImpl = ctor;
    this.timers = options.timers ?? realTimers;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    if (!(this.backoff.initialMs > 0 && this.backoff.maxMs >= this.backoff.initialMs)) {
      throw new RangeError('backoff needs 0 < initialMs ≤ maxMs');
    }
    // Fail now on ids the relay would refuse anyway.
    encodeFrame(this.hello(''));
    this.outgoing = new FrameBundler({
      from: this.nodeId,
      maxFrameBytes: () => this.maxFrameBytes,
      emit: (frame) => this.emit(frame),
      tooLarge: (bytes, limit) => this.problem({ kind: 'frame-too-large', bytes, limit }),
    });
  }

  start(handlers: TransportHandlers): void {
    if (this.handlers !== undefined) throw new Error('RelayTransport.start called twice');
    if (this.closed) throw new Error('RelayTransport is closed');
    this.handlers = handlers;
    if (!this.offline) this.connect();
  }

  send(to: string, channel: number, payload: Uint8Array): void {
    if (!this.peers.has(to)) return;
    this.write(to, channel, payload);
  }

  /** One frame the relay fans out to every node this one reaches (its link table decides). */
  broadcast(channel: number, payload: Uint8Array): void {
    this.write(null, channel, payload);
  }

  private write(to: string | null, channel: number, payload: Uint8Array): void {
    const socket = this.socket;
    if (this.connectionState !== 'online' || socket === undefined) return;
    if (!this.granted.includes('write')) {
      // The relay would refuse the frame (and close us after a few); say so once instead.
      if (!this.readOnlyReported) {
        this.readOnlyReported = true;
        this.problem({ kind: 'read-only', room: this.options.room });
      }
      return;
    }
    this.outgoing.add(to, channel, payload);
  }

  private emit(frame: Uint8Array): void {
    const socket = this.socket;
    // The connection the frames were queued for may have gone since; sessions resync on the next one.
    if (this.connectionState !== 'online' || socket === undefined) return;
    try {
      socket.send(frame);
    } catch (error) {
      // The close event follows; sessions resync after the reconnect.
      this.problem({ kind: 'connect-failed', message: String(error) });
    }
  }

  reachable(): ReadonlySet<string> {
    return this.peers;
  }

  linked(from: string, to: string): boolean | undefined {
    return this.cuts.linked(from, to);
  }

  /** What the relay granted this connection (empty until welcome). */
  rights(): readonly Right[] {
    return this.granted;
  }

  state(): ConnectionState {
    return this.connectionState;
  }

  /** The UI's Offline toggle: offline closes the socket and stops reconnecting; online connects now. */
  setOffline(offline: boolean): void {
    if (this.closed || offline === this.offline) return;
    this.offline = offline;
    if (offline) {
      this.disconnect('offline');
      this.setState('offline');
    } else if (this.handlers !== undefined) {
      this.attempt = 0;
      this.connect();
    }
  }

  isOffline(): boolean {
    return this.offline;
  }

  close(): void {
    if (this.closed) return;
    // No events after close: the replica tears its sessions down itself.
    this.closed = true;
    this.handlers = undefined;
    this.disconnect('closed');
    this.connectionState = 'offline';
  }

  // --- connection lifecycle -------------------------------------------------------------------

  private hello(token: string) {
    return {
      type: 'hello',
      version: PROTOCOL_VERSION,
      room: this.options.room,
      nodeId: this.nodeId,
      role: this.options.role ?? 'replica',
      token,
    } as const;
  }

  private connect(): void {
    this.cancelTimers();
    this.setState('connecting');
    const token = this.options.token;
    if (typeof token !== 'function') {
      this.open(token ?? '');
      return;
    }
    const generation = this.attemptGeneration;
    const stale = (): boolean => generation !== this.attemptGeneration || this.closed || this.offline;
    Promise.resolve()
      .then(token)
      .then(
        (credential) => {
          if (!stale()) this.open(credential);
        },
        (error: unknown) => {
          if (stale()) return;
          this.problem({ kind: 'no-credential', message: errorMessage(error) });
          this.scheduleReconnect();
        },
      );
  }

  private open(token: string): void {
    let socket: WebSocketLike;
    try {
      socket = new this.WebSocketImpl(this.options.url);
    } catch (error) {
      this.problem({
        kind: 'connect-failed',
        message: errorMessage(error),
      });
      this.scheduleReconnect();
      return;
    }
    this.socket = socket;
    socket.binaryType = 'arraybuffer';
    socket.onopen = () => {
      if (this.socket !== socket) return;
      try {
        socket.send(encodeFrame(this.hello(token)));
      } catch (error) {
        this.problem({ kind: 'connect-failed', message: String(error) });
      }
    };
    socket.onmessage = ((event: { data: unknown }) => {
      if (this.socket !== socket) return;
      try {
        this.onData(event.data);
      } catch (error) {
        this.problem({
          kind: 'handler-failed',
          message: errorMessage(error),
        });
      }
    }) as (event: never) => void;
    socket.onclose = ((event: { code?: number; reason?: string }) => {
      if (this.socket !== socket) return;
      try {
        this.onSocketClosed(event.code ?? CloseCode.GoingAway, event.reason ?? '');
      } catch (error) {
        this.problem({
          kind: 'handler-failed',
          message: errorMessage(error),
        });
      }
    }) as (event: never) => void;
    // An error is always followed by a close event, which does the work.
    socket.onerror = () => {};
    const welcomeTimeoutMs = this.options.welcomeTimeoutMs ?? 10_000;
    this.cancelWelcome = this.timers.setTimeout(() => {
      this.cancelWelcome = undefined;
      if (this.socket !== socket || this.connectionState === 'online') return;
      this.problem({ kind: 'connect-failed', message: `no welcome within ${welcomeTimeoutMs} ms` });
      this.detach(socket, CloseCode.Normal, 'no welcome');
      this.scheduleReconnect();
    }, welcomeTimeoutMs);
  }

  private onData(data: unknown): void {
    const bytes = toBytes(data);
    if (bytes === undefined) {
      this.problem({ kind: 'malformed-frame', message: 'relay sent a non-binary message' });
      return;
    }
    let frame: RelayFrame;
    try {
      const decoded = decodeFrame(bytes);
      if (decoded.type === 'hello') throw new Error('relay sent a hello frame');
      frame = decoded;
    } catch (error) {
      this.problem({
        kind: 'malformed-frame',
        message: errorMessage(error),
      });
      return;
    }
    const handlers = this.handlers;
    if (handlers === undefined) return;
    switch (frame.type) {
      case 'welcome':
        this.cancelWelcomeTimer();
        this.attempt = 0;
        this.maxFrameBytes = frame.maxFrameBytes;
        this.granted = frame.rights;
        this.readOnlyReported = false;
        this.setState('online');
        this.linkUpAll(frame.peers.filter((peer) => peer.reachable).map((peer) => peer.id));
        return;
      case 'link-up':
        this.linkUp(frame.peer);
        return;
      case 'link-down':
        this.linkDown(frame.peer, frame.reason);
        return;
      case 'cuts':
        this.cuts.learn(frame.links);
        this.invoke(() => handlers.cuts?.(frame.links));
        return;
      case 'data':
      case 'bundle':
        for (const entry of dataEntries(frame)) {
          // Only from peers with a live session; the relay checks links too, this guards the races.
          // A handler may take the connection down: every entry is checked again.
          if (
            this.connectionState !== 'online' ||
            !this.peers.has(frame.from) ||
            this.handlers === undefined
          ) {
            return;
          }
          this.invoke(() => handlers.message(frame.from, entry.channel, entry.payload));
        }
        return;
      case 'error':
        this.problem({ kind: 'error-frame', code: frame.code, message: frame.message });
        return;
    }
  }

  /**
   * The welcome's peers: all reachable before the first is announced, so a replica choosing whom to greet
   * first (its first source, the storage peer) sees every one of them, whatever their order in the list.
   */
  private linkUpAll(peers: readonly string[]): void {
    const fresh = peers.filter((peer) => peer !== this.nodeId && !this.peers.has(peer));
    for (const peer of fresh) this.peers.add(peer);
    for (const peer of fresh) {
      // A handler may take the connection down (and with it every link): then nothing more is announced.
      if (this.peers.has(peer)) this.invoke(() => this.handlers?.linkUp(peer));
    }
  }

  private linkUp(peer: string): void {
    if (peer === this.nodeId || this.peers.has(peer)) return;
    this.peers.add(peer);
    this.invoke(() => this.handlers?.linkUp(peer));
  }

  private linkDown(peer: string, reason: LinkDownReason = 'left'): void {
    if (!this.peers.delete(peer)) return;
    this.invoke(() => this.handlers?.linkDown(peer, reason));
  }

  private onSocketClosed(code: number, reason: string): void {
    this.socket = undefined;
    this.outgoing.clear();
    this.cancelWelcomeTimer();
    this.dropLinks();
    const permanent = PERMANENT_CLOSE_CODES.has(code);
    this.problem({ kind: 'closed', code, reason, permanent });
    if (this.closed || this.offline) {
      this.setState('offline');
      return;
    }
    if (permanent) {
      // Retrying cannot help; the user can try again with the Offline toggle.
      this.offline = true;
      this.setState('offline');
      return;
    }
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.closed || this.offline) return;
    this.setState('connecting');
    const base = Math.min(this.backoff.maxMs, this.backoff.initialMs * 2 ** Math.min(this.attempt, 30));
    this.attempt++;
    const delay = base / 2 + this.random() * (base / 2);
    this.cancelReconnect = this.timers.setTimeout(() => {
      this.cancelReconnect = undefined;
      this.connect();
    }, delay);
  }

  private disconnect(reason: string): void {
    // What the replica sent before going offline or closing still leaves, as it did unbundled.
    this.outgoing.flush();
    this.cancelTimers();
    if (this.socket !== undefined) this.detach(this.socket, CloseCode.Normal, reason);
  }

  /** Forget a socket (its events are ignored from now on) and close it. */
  private detach(socket: WebSocketLike, code: number, reason: string): void {
    if (this.socket === socket) this.socket = undefined;
    this.dropLinks();
    try {
      socket.close(code, reason);
    } catch {
      // Already closed or never opened: nothing to release.
    }
  }

  private dropLinks(): void {
    this.cuts.forget();
    for (const peer of [...this.peers]) this.linkDown(peer);
  }

  private cancelWelcomeTimer(): void {
    this.cancelWelcome?.();
    this.cancelWelcome = undefined;
  }

  private cancelTimers(): void {
    this.attemptGeneration++;
    this.cancelWelcomeTimer();
    this.cancelReconnect?.();
    this.cancelReconnect = undefined;
  }

  private setState(state: ConnectionState): void {
    if (state === this.connectionState) return;
    this.connectionState = state;
    this.invoke(() => this.handlers?.state?.(state));
  }

  /**
   * Call a replica handler. A throw is a bug of the replica, reported rather than propagated: from a
   * socket event it would be uncaught, and it must not stop link bookkeeping or reconnects.
   */
  private invoke(call: () => void): void {
    try {
      call();
    } catch (error) {
      this.problem({
        kind: 'handler-failed',
        message: errorMessage(error),
      });
    }
  }

  private problem(problem: RelayProblem): void {
    try {
      this.options.onProblem?.(problem);
    } catch {
      // A reporting callback must not break the connection.
    }
  }
}
