/**
 * A `Transport` over a stock y-websocket server (@y/websocket-server, or any server speaking its
 * protocol), for people who already run one: the replica's Yjs engine syncs through it with every other
 * replica (and every Yjs app) in the same server room.
 *
 * The server is one peer (`Y_WEBSOCKET_SERVER_PEER`) that speaks only Yjs: the yjs engine's sync
 * messages (y-protocols sync step 1 / 2 and updates, which is what the engine's session already speaks)
 * travel as y-websocket sync messages, unchanged; what other engines send, and digest announcements, have
 * nowhere to go and are dropped (those engines stay local). Awareness from the server is ignored. The
 * transport reconnects with a doubling backoff while not closed.
 */
import {
  type Cancel,
  type ConnectionState,
  decodeReplicaMessage,
  encodeSyncMessage,
  realTimers,
  type Timers,
  type Transport,
  type TransportHandlers,
} from '@converge/protocol';
import * as decoding from 'lib0/decoding';
import * as encoding from 'lib0/encoding';
import type { WebSocketConstructor, WebSocketLike } from './relay-transport.ts';

/** The peer id the server appears under. */
export const Y_WEBSOCKET_SERVER_PEER = 'y-websocket-server';

/** y-websocket's message type of a sync message. */
const MESSAGE_SYNC = 0;

export interface YWebsocketTransportOptions {
  /** The server's URL, e.g. ws://localhost:1234 (the room is appended as the path, as y-websocket does). */
  readonly url: string;
  readonly room: string;
  readonly nodeId: string;
  /** The yjs engine's wire code (its descriptor's `wireCode`). */
  readonly channel: number;
  /** URL query parameters (a server's auth token, say), as y-websocket's `params`. */
  readonly params?: Readonly<Record<string, string>>;
  readonly WebSocket?: WebSocketConstructor;
  readonly backoff?: { readonly initialMs: number; readonly maxMs: number };
  readonly timers?: Timers;
}

export class YWebsocketTransport implements Transport {
  readonly nodeId: string;
  private readonly WebSocketImpl: WebSocketConstructor;
  private readonly timers: Timers;
  private handlers: TransportHandlers | undefined;
  private socket: WebSocketLike | undefined;
  private connectionState: ConnectionState = 'offline';
  private readonly peers = new Set<string>();
  private cancelReconnect: Cancel | undefined;
  private delayMs: number;
  private closed = false;

  constructor(private readonly options: YWebsocketTransportOptions) {
    this.nodeId = options.nodeId;
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (ctor === undefined) throw new TypeError('no WebSocket implementation: pass options.WebSocket');
    this.WebSocketImpl = ctor;
    this.timers = options.timers ?? realTimers;
    this.delayMs = this.backoff.initialMs;
  }

  private get backoff(): { readonly initialMs: number; readonly maxMs: number } {
    return this.options.backoff ?? { initialMs: 250, maxMs: 10_000 };
  }

  start(handlers: TransportHandlers): void {
    if (this.handlers !== undefined) throw new Error('YWebsocketTransport.start called twice');
    this.handlers = handlers;
    this.connect();
  }

  send(to: string, channel: number, payload: Uint8Array): void {
    const socket = this.socket;
    if (to !== Y_WEBSOCKET_SERVER_PEER || channel !== this.options.channel || socket === undefined) return;
    if (!this.peers.has(to)) return;
    const message = decodeReplicaMessage(payload);
    if (message.kind !== 'sync') return; // digests: the server would not understand them
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    encoding.writeUint8Array(encoder, message.payload);
    socket.send(encoding.toUint8Array(encoder));
  }

  reachable(): ReadonlySet<string> {
    return this.peers;
  }

  state(): ConnectionState {
    return this.connectionState;
  }

  close(): void {
    this.closed = true;
    this.cancelReconnect?.();
    this.disconnected();
    this.socket?.close(1000, 'closed');
    this.socket = undefined;
    this.handlers = undefined;
  }

  private url(): string {
    const query = new URLSearchParams(this.options.params ?? {}).toString();
    const base = this.options.url.replace(/\/$/, '');
    return `${base}/${encodeURIComponent(this.options.room)}${query === '' ? '' : `?${query}`}`;
  }

  private connect(): void {
    if (this.closed) return;
    this.setState('connecting');
    const socket = new this.WebSocketImpl(this.url());
    socket.binaryType = 'arraybuffer';
    this.socket = socket;
    socket.onopen = () => {
      this.delayMs = this.backoff.initialMs;
      this.setState('online');
      this.peers.add(Y_WEBSOCKET_SERVER_PEER);
      this.handlers?.linkUp(Y_WEBSOCKET_SERVER_PEER);
    };
    socket.onmessage = (event: never) => this.receive((event as { data: unknown }).data);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = undefined;
      this.disconnected();
      if (!this.closed) this.scheduleReconnect();
    };
    socket.onerror = () => {};
  }

  private receive(data: unknown): void {
    if (!(data instanceof ArrayBuffer) && !ArrayBuffer.isView(data)) return;
    const bytes =
      data instanceof ArrayBuffer
        ? new Uint8Array(data)
        : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    try {
      const decoder = decoding.createDecoder(bytes);
      if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return; // awareness, auth: not ours
      const sync = bytes.subarray(decoder.pos);
      this.handlers?.message(Y_WEBSOCKET_SERVER_PEER, this.options.channel, encodeSyncMessage(sync));
    } catch {
      // A malformed message from the server: the engine's session would refuse it too; nothing to do.
    }
  }

  private disconnected(): void {
    if (this.peers.delete(Y_WEBSOCKET_SERVER_PEER)) this.handlers?.linkDown(Y_WEBSOCKET_SERVER_PEER);
    this.setState(this.closed ? 'offline' : 'connecting');
  }

  private scheduleReconnect(): void {
    const delay = this.delayMs;
    this.delayMs = Math.min(this.backoff.maxMs, this.delayMs * 2);
    this.cancelReconnect = this.timers.setTimeout(() => this.connect(), delay);
  }

  private setState(state: ConnectionState): void {
    if (state === this.connectionState) return;
    this.connectionState = state;
    this.handlers?.state?.(state);
  }
}
