/**
 * One WebSocket connection to the relay: the hello handshake, per-connection limits (rate, malformed
 * frames, hello timeout, heartbeat) and the endpoint through which its room reaches it.
 *
 * Every handler is guarded: whatever a client sends, the worst outcome is that this one connection
 * gets an error frame and is closed. Nothing propagates out to the process.
 */

import type { Duplex } from 'node:stream';
import {
  type Cancel,
  CloseCode,
  type ErrorCode,
  encodeFrame,
  FrameType,
  type HelloFrame,
  PROTOCOL_VERSION,
  peekHelloVersion,
  tryDecodeFrame,
} from '@converge/protocol';
import type { RawData, WebSocket } from 'ws';
import { type Credential, CredentialError, RESERVED_REPLICA_IDS } from './credentials.ts';
import type { Violation } from './events.ts';
import { Liveness } from './liveness.ts';
import type { Member, NodeEndpoint, Room, RoomServices } from './room.ts';
import type { Placement } from './room-ownership.ts';
import type { RoomRegistry } from './room-registry.ts';
import { TokenBucket } from './token-bucket.ts';
import { Upstream } from './upstream.ts';

/** Why a room could not be opened for a node. */
export type RoomRefusal = 'room-limit' | 'room-creation-rate';

export interface ConnectionServices extends RoomServices {
  readonly rooms: RoomRegistry;
  /** The credential a hello's token carries; rejects with CredentialError when it is none of ours. */
  verifyCredential(token: string): Promise<Credential>;
  /** The room, opened (created within the room limit and the source address's creation rate). */
  openRoom(
    id: string,
    source: string,
  ):
    | { readonly ok: true; readonly room: Room }
    | { readonly ok: false; readonly refusal: RoomRefusal; readonly reason: string };
  /** The connection proved its credential and joined: it is no longer an unauthenticated socket. */
  joined(connection: SocketConnection): void;
  /** The connection is gone (closed by either side); forget it. */
  closed(connection: SocketConnection): void;
  /**
   * In a cluster: where the hello's room lives (here, after claiming it, or on another node this
   * connection is forwarded to). Undefined for a standalone relay: every room is here.
   */
  readonly place?: (room: string) => Promise<Placement>;
  /** This node's id, named to the owner when forwarding (so it never forwards the connection again). */
  readonly nodeId?: string;
}

type ConnectionState =
  | { readonly phase: 'awaiting-hello' }
  /** Hello received; its credential is being checked. */
  | { readonly phase: 'verifying' }
  | { readonly phase: 'joined'; readonly room: Room; readonly member: Member }
  /** The room lives on another node: frames go both ways between this socket and the owner, unread. */
  | {
      readonly phase: 'forwarding';
      readonly upstream: Upstream;
      readonly target: { readonly room: string; readonly owner: string };
    }
  | { readonly phase: 'closed' };

const WS_OPEN = 1;

/** ws error codes for frames that break the WebSocket protocol itself (ws closes the socket). */
function violationOfWsError(code: unknown): Violation {
  return code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH' ? 'frame-too-large' : 'bad-frame';
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}

export class SocketConnection implements NodeEndpoint {
  private state: ConnectionState = { phase: 'awaiting-hello' };
  private readonly bucket: TokenBucket;
  private badFrames = 0;
  private rateWindowStart = 0;
  private rateDropsInWindow = 0;
  private rateErrorSentInWindow = false;
  private readonly liveness = new Liveness();
  private helloTimer: Cancel | undefined;
  private terminateTimer: Cancel | undefined;
  private corked = false;

  /**
   * `socket` is the TCP socket under `ws`. Frames sent to it while handling one batch of input are
   * corked together and written with one system call when the batch is done (a broadcast to many
   * nodes otherwise costs a write per frame per node, which dominates the relay's time).
   */
  constructor(
    private readonly ws: WebSocket,
    readonly socket: Duplex,
    /** `address:port`, for logs. */
    readonly remote: string,
    /** The source address alone: what per-source limits count by. */
    private readonly source: string,
    private readonly services: ConnectionServices,
    /** The node that forwarded this connection to us (we own the room or refuse; never forward again). */
    private readonly forwardedBy?: string,
  ) {
    const { clock, limits } = services;
    this.bucket = new TokenBucket(limits.framesPerSecond, limits.frameBurst, clock.now());
    ws.on('message', (data, isBinary) => this.guard(() => this.onMessage(data, isBinary)));
    ws.on('pong', () => this.liveness.heard());
    ws.on('error', (error: Error & { code?: unknown }) => this.guard(() => this.onSocketError(error)));
    ws.on('close', () => this.guard(() => this.onClosed()));
    this.helloTimer = clock.setTimeout(() => this.guard(() => this.onHelloTimeout()), limits.helloTimeoutMs);
  }

  get phase(): ConnectionState['phase'] {
    return this.state.phase;
  }

  /** Where this connection is forwarded to (its room and the owner node), if it is. */
  forwarding(): { readonly room: string; readonly owner: string } | undefined {
    return this.state.phase === 'forwarding' ? this.state.target : undefined;
  }

  // --- NodeEndpoint -------------------------------------------------------------------------

  send(frame: Uint8Array): void {
    if (this.ws.readyState !== WS_OPEN) return;
    try {
      if (!this.corked) {
        this.corked = true;
        this.socket.cork();
        process.nextTick(this.uncork);
      }
      this.ws.send(frame);
      this.liveness.sent(frame.length);
    } catch (error) {
      this.services.log.warn('send-failed', { remote: this.remote, error: String(error) });
    }
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.socket.uncork();
  };

  bufferedBytes(): number {
    return this.ws.bufferedAmount;
  }

  close(code: number, reason: string): void {
    if (this.state.phase === 'closed') return;
    const joined = this.state.phase === 'joined' ? this.state : undefined;
    if (this.state.phase === 'forwarding') this.state.upstream.close();
    this.state = { phase: 'closed' };
    this.helloTimer?.();
    // When the room initiated the close (replaced, slow consumer) it has already removed the member.
    if (joined !== undefined && joined.room.member(joined.member.id) === joined.member) {
      joined.room.leave(joined.member, 'closed');
      this.services.rooms.release(joined.room);
    }
    // A slow consumer does not read: a close frame would wait behind everything queued before it.
    if (code === CloseCode.SlowConsumer) {
      this.ws.terminate();
      return;
    }
    try {
      this.ws.close(code, reason.slice(0, 120));
    } catch {
      this.ws.terminate();
      return;
    }
    this.terminateTimer = this.services.clock.setTimeout(
      () => this.ws.terminate(),
      this.services.limits.closeGraceMs,
    );
  }

  /** Drop the socket without a close handshake (shutdown after the grace period). */
  terminate(): void {
    this.ws.terminate();
  }

  // --- heartbeat ------------------------------------------------------------------------------

  /**
   * One heartbeat tick: terminate if the last ping went unanswered (after a grace when the connection may
   * be busy taking in what it was sent: liveness.ts), otherwise ping again.
   */
  heartbeat(): void {
    const verdict = this.liveness.tick();
    if (verdict === 'wait') return;
    if (verdict === 'dead') {
      this.violation('heartbeat-timeout', 'no pong within a heartbeat interval');
      this.close(CloseCode.GoingAway, 'heartbeat timeout');
      this.ws.terminate();
      return;
    }
    try {
      this.ws.ping();
    } catch {
      this.ws.terminate();
    }
  }

  // --- handlers -------------------------------------------------------------------------------

  private guard(handler: () => void): void {
    try {
      handler();
    } catch (error) {
      // A bug of ours, not the client's: log it, drop this connection, keep the relay up.
      this.services.log.error('handler-failed', {
        remote: this.remote,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
      try {
        this.close(CloseCode.Internal, 'internal error');
      } catch {
        this.ws.terminate();
      }
    }
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    if (this.state.phase === 'closed') return;
    this.liveness.heard();
    if (!this.bucket.take(this.services.clock.now())) {
      this.onRateLimited();
      return;
    }
    const bytes = toBytes(data);
    if (this.state.phase === 'forwarding') {
      // The owner checks every frame as it would from a socket of its own.
      this.state.upstream.send(bytes, isBinary);
      return;
    }
    if (this.state.phase === 'awaiting-hello') {
      this.onHello(bytes, isBinary);
      return;
    }
    if (this.state.phase === 'verifying') {
      this.onBadFrame('wait for welcome before sending more frames');
      return;
    }
    if (!isBinary) {
      this.onBadFrame('text messages are not part of the protocol; frames are binary');
      return;
    }
    const decoded = tryDecodeFrame(bytes);
    if (!decoded.ok) {
      this.onBadFrame(decoded.error);
      return;
    }
    const frame = decoded.frame;
    if (frame.type !== 'data' && frame.type !== 'bundle') {
      this.onBadFrame(`a node may not send ${frame.type} frames${frame.type === 'hello' ? ' twice' : ''}`);
      return;
    }
    const { room, member } = this.state;
    if (frame.from !== member.id) {
      this.violation('spoofed-sender', `data frame claims to come from ${frame.from}`);
      this.sendError('spoofed-sender', `frames must come from ${member.id}, not ${frame.from}`);
      this.countBadFrame();
      return;
    }
    if (!member.grant.rights.includes('write')) {
      const detail = `the credential of ${member.id} grants ${member.grant.rights.join(', ')} in room ${room.id}, not write: data frames are refused`;
      this.violation('forbidden', detail);
      this.sendError('forbidden', detail);
      this.countBadFrame();
      return;
    }
    // The rate limit counts entries, as it did when each went as a data frame of its own: else one
    // token would let a bundle of a megabyte's worth of tiny entries through, each routed to every node.
    if (frame.type === 'bundle') this.bucket.charge(this.services.clock.now(), frame.entries.length - 1);
    room.route(member, frame, bytes);
  }

  private onHello(bytes: Uint8Array, isBinary: boolean): void {
    if (!isBinary || bytes[0] !== FrameType.Hello) {
      this.refuse(
        'hello-required',
        'hello-required',
        CloseCode.HelloRequired,
        'the first frame must be hello',
      );
      return;
    }
    const version = peekHelloVersion(bytes);
    if (version !== undefined && version !== PROTOCOL_VERSION) {
      this.refuse(
        'protocol-version',
        'protocol-version',
        CloseCode.ProtocolVersion,
        `protocol version ${version} is not supported; this relay speaks ${PROTOCOL_VERSION}`,
      );
      return;
    }
    const decoded = tryDecodeFrame(bytes);
    if (!decoded.ok || decoded.frame.type !== 'hello') {
      const why = decoded.ok ? 'not a hello frame' : decoded.error;
      this.refuse('hello-required', 'hello-required', CloseCode.HelloRequired, `malformed hello: ${why}`);
      return;
    }
    const hello = decoded.frame;
    if (hello.role === 'storage' || RESERVED_REPLICA_IDS.has(hello.nodeId)) {
      // The storage peer lives in the relay's process; a socket claiming it could stop edits being stored.
      this.refuse(
        'forbidden',
        'forbidden',
        CloseCode.Unauthorized,
        "the storage role and node id belong to the relay's own storage peer; they are never accepted from the network",
      );
      return;
    }
    this.state = { phase: 'verifying' };
    this.services.verifyCredential(hello.token).then(
      (credential) => this.guard(() => this.onVerified(hello, credential, bytes)),
      (error: unknown) =>
        this.guard(() => {
          if (this.state.phase !== 'verifying') return;
          const message =
            error instanceof CredentialError ? error.message : 'the credential could not be checked';
          this.refuse('unauthorized', 'unauthorized', CloseCode.Unauthorized, message);
        }),
    );
  }

  private onVerified(hello: HelloFrame, credential: Credential, helloBytes: Uint8Array): void {
    if (this.state.phase !== 'verifying') return; // closed (timeout, shutdown) while verifying
    if (credential.room !== hello.room || credential.replica !== hello.nodeId) {
      this.refuse(
        'unauthorized',
        'unauthorized',
        CloseCode.Unauthorized,
        `the credential is for node ${credential.replica} in room ${credential.room}, not ${hello.nodeId} in ${hello.room}`,
      );
      return;
    }
    if (!credential.rights.includes('read')) {
      this.refuse(
        'forbidden',
        'forbidden',
        CloseCode.Unauthorized,
        `the credential grants ${credential.rights.join(', ')} in room ${hello.room}; joining needs read`,
      );
      return;
    }
    const place = this.services.place;
    if (place === undefined) {
      this.join(hello, credential);
      return;
    }
    place(hello.room).then(
      (placement) => this.guard(() => this.onPlaced(hello, credential, helloBytes, placement)),
      (error: unknown) => this.guard(() => this.unavailable(String(error))),
    );
  }

  private onPlaced(
    hello: HelloFrame,
    credential: Credential,
    helloBytes: Uint8Array,
    placement: Placement,
  ): void {
    if (placement.kind === 'here') {
      try {
        if (this.state.phase === 'verifying') this.join(hello, credential);
      } finally {
        placement.done();
      }
      return;
    }
    if (this.state.phase !== 'verifying') return;
    if (placement.kind === 'unavailable') {
      this.unavailable(placement.reason);
    } else if (this.forwardedBy !== undefined) {
      // Ownership moved while the other node forwarded to us: let the window try again, never chain.
      this.unavailable(`room ${hello.room} is owned by ${placement.node} now`);
    } else {
      this.forward(placement.url, placement.node, helloBytes, hello.room);
    }
  }

  /** The room cannot be served right now; the window retries (close 1013), nothing is counted against it. */
  private unavailable(reason: string): void {
    this.sendError('internal', `room unavailable, try again: ${reason}`.slice(0, 500));
    this.close(CloseCode.TryAgainLater, 'room unavailable, try again');
  }

  /** Carry this connection to the room's owner: its hello first, then every frame both ways. */
  private forward(url: string, owner: string, helloBytes: Uint8Array, room: string): void {
    const upstream = new Upstream(url, this.services.nodeId ?? '?', {
      open: () => this.guard(() => this.helloTimerDone()),
      message: (bytes, isBinary) => {
        if (isBinary) this.send(bytes);
      },
      closed: (code, reason) => this.guard(() => this.close(code, reason)),
    });
    this.state = { phase: 'forwarding', upstream, target: { room, owner } };
    upstream.send(helloBytes, true);
    this.services.log.info('forward', { room, owner, remote: this.remote });
    this.services.joined(this);
  }

  private helloTimerDone(): void {
    this.helloTimer?.();
    this.helloTimer = undefined;
  }

  private join(hello: HelloFrame, credential: Credential): void {
    const opened = this.services.openRoom(hello.room, this.source);
    if (!opened.ok) {
      if (opened.refusal === 'room-limit') {
        this.refuse('room-limit', 'room-limit', CloseCode.RoomLimit, opened.reason);
      } else {
        this.refuse('room-creation-rate', 'rate-limited', CloseCode.RateLimited, opened.reason);
      }
      return;
    }
    const joined = opened.room.join(hello.nodeId, hello.role, this, {
      credentialId: credential.id,
      rights: credential.rights,
    });
    if (!joined.ok) {
      this.services.rooms.release(opened.room);
      if (joined.refusal === 'identity-in-use') {
        this.refuse('identity-in-use', 'identity-in-use', CloseCode.IdentityInUse, joined.reason);
      } else {
        this.refuse('node-limit', 'node-limit', CloseCode.NodeLimit, joined.reason);
      }
      return;
    }
    this.helloTimer?.();
    this.helloTimer = undefined;
    this.state = { phase: 'joined', room: opened.room, member: joined.member };
    this.services.joined(this);
  }

  private onHelloTimeout(): void {
    if (
      this.state.phase !== 'awaiting-hello' &&
      this.state.phase !== 'verifying' &&
      this.state.phase !== 'forwarding'
    )
      return;
    this.refuse(
      'hello-timeout',
      'hello-timeout',
      CloseCode.HelloTimeout,
      `no hello within ${this.services.limits.helloTimeoutMs} ms`,
    );
  }

  private onRateLimited(): void {
    const { clock, limits } = this.services;
    const now = clock.now();
    if (now - this.rateWindowStart >= 1000) {
      this.rateWindowStart = now;
      this.rateDropsInWindow = 0;
      this.rateErrorSentInWindow = false;
    }
    this.rateDropsInWindow++;
    // One error frame per second: answering every dropped frame would amplify the flood.
    if (!this.rateErrorSentInWindow) {
      this.rateErrorSentInWindow = true;
      this.violation('rate-limited', `more than ${limits.framesPerSecond} frames per second`);
      this.sendError(
        'rate-limited',
        `more than ${limits.framesPerSecond} frames per second; frames are dropped`,
      );
    }
    if (this.rateDropsInWindow > limits.rateLimitTolerance) {
      this.close(CloseCode.RateLimited, 'rate limit exceeded');
    }
  }

  private onBadFrame(detail: string): void {
    this.violation('bad-frame', detail);
    this.sendError('bad-frame', detail);
    this.countBadFrame();
  }

  private countBadFrame(): void {
    this.badFrames++;
    if (this.badFrames >= this.services.limits.maxBadFrames) {
      this.close(CloseCode.BadFrames, 'too many malformed frames');
    }
  }

  private onSocketError(error: Error & { code?: unknown }): void {
    // ws reports broken WebSocket framing (and oversize frames) here, then closes the socket itself.
    if (typeof error.code === 'string' && error.code.startsWith('WS_ERR_')) {
      this.violation(violationOfWsError(error.code), error.message);
    } else {
      this.services.log.debug('socket-error', { remote: this.remote, error: error.message });
    }
  }

  private onClosed(): void {
    this.terminateTimer?.();
    this.helloTimer?.();
    if (this.state.phase === 'joined') {
      const { room, member } = this.state;
      this.state = { phase: 'closed' };
      room.leave(member, 'closed');
      this.services.rooms.release(room);
    }
    if (this.state.phase === 'forwarding') this.state.upstream.close();
    this.state = { phase: 'closed' };
    this.services.closed(this);
  }

  // --- helpers --------------------------------------------------------------------------------

  private refuse(violation: Violation, code: ErrorCode, closeCode: number, message: string): void {
    this.violation(violation, message);
    this.sendError(code, message);
    this.close(closeCode, message);
  }

  private sendError(code: ErrorCode, message: string): void {
    this.send(encodeFrame({ type: 'error', code, message }));
  }

  private violation(violation: Violation, detail: string): void {
    const where =
      this.state.phase === 'joined' ? { room: this.state.room.id, node: this.state.member.id } : undefined;
    this.services.violation(violation, { remote: this.remote, ...where, detail });
  }
}
