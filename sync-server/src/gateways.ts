/**
 * The relay's seam for gateways: plugins that speak another sync protocol on their own WebSocket paths
 * (y-websocket at /yjs/ROOM, automerge-repo at /automerge, in ./interop) and host documents for the
 * clients of those protocols. Like the storage plugin, a gateway joins rooms through in-process nodes,
 * so the relay core knows only this interface and depends on the protocol alone.
 *
 * The core does what every endpoint needs before a gateway sees a socket: the Host and Origin checks,
 * the connection limit, and the credential (a room credential as the `token` query parameter, the way
 * y-websocket's `params` and a URL given to automerge-repo's adapter carry it, or `Authorization:
 * Bearer`). A gateway then decides whether that credential admits this path.
 */
import type { IncomingMessage } from 'node:http';
import type { WebSocket } from 'ws';
import type { Credential } from './credentials.ts';
import type { LocalNodeOptions, LocalTransport } from './local-node.ts';
import type { Logger } from './log.ts';

/** A WebSocket request a gateway is asked about: its path below the gateway's segment, and who asks. */
export interface GatewayRequest {
  /** The path segments after the gateway's own ('/yjs/team' → ['team']). */
  readonly path: readonly string[];
  readonly credential: Credential;
  /** address:port of the client, for logs. */
  readonly remote: string;
  readonly request: IncomingMessage;
}

/** Why a gateway refuses a request: an HTTP status and a message for the client. */
export interface GatewayRefusal {
  /** 503: the relay does not serve this protocol as it runs (a cluster, say). */
  readonly status: 400 | 403 | 404 | 503;
  readonly message: string;
}

/** A JSON resource a gateway serves at GET /rooms/ROOM/NAME to holders of `read` in the room. */
export type GatewayResource = (room: string, credential: Credential) => Promise<unknown>;

/** A running gateway. */
export interface RelayGateway {
  /** The first path segment of its WebSocket endpoint ('yjs' for ws://HOST/yjs/ROOM). */
  readonly segment: string;
  /** Refuse a request before the upgrade (undefined: admitted). */
  admit(request: GatewayRequest): GatewayRefusal | undefined;
  /** The upgraded socket of an admitted request; the gateway owns it from now on. */
  accept(socket: WebSocket, request: GatewayRequest): void;
  /** Resources by name under /rooms/ROOM/ (e.g. 'automerge' → the room's document URL). */
  readonly resources?: Readonly<Record<string, GatewayResource>>;
  /** Close every socket and document; called when the relay shuts down. */
  close(): Promise<void>;
}

/** What a gateway may ask of the relay. */
export interface GatewayHost {
  openLocalNode(options: LocalNodeOptions): LocalTransport;
  readonly log: Logger;
  /** Count a client's violation of its protocol (a malformed frame, a write without the right). */
  violation(detail: { readonly remote: string; readonly room: string; readonly detail: string }): void;
}

export interface GatewayPlugin {
  /** Start serving; called once, before the relay accepts any connection. */
  start(host: GatewayHost): Promise<readonly RelayGateway[]>;
}
