/**
 * What a replica needs from the network, whatever carries it: the relay over WebSocket
 * (RelayTransport), the in-process simulated network (tests, scenario runner), or nothing (offline).
 * Links are directed in the relay but a sync session needs both directions, so a peer counts as
 * reachable only while frames can flow both ways.
 */
import type { LinkDownReason } from './frames.ts';

export type ConnectionState = 'connecting' | 'online' | 'offline';

export interface TransportHandlers {
  /** The peer became reachable: start a sync session with it (handshake). */
  linkUp(peer: string): void;
  /**
   * The peer is no longer reachable: stop the session; resync on the next linkUp. `reason` says whether
   * the peer left (or this node lost its connection) or a link between the two was cut, when known.
   */
  linkDown(peer: string, reason?: LinkDownReason): void;
  /** A payload from a peer on one channel (an engine's wire code). Payloads are opaque to the transport. */
  message(from: string, channel: number, payload: Uint8Array): void;
  /** Connection to the network changed (all links are down while not online). */
  state?(state: ConnectionState): void;
}

export interface Transport {
  /** This node's id in the room. */
  readonly nodeId: string;
  /** Begin delivering events to the handlers (called once by the replica). */
  start(handlers: TransportHandlers): void;
  /** Send to one peer; silently dropped if the peer is unreachable (sessions resync on linkUp). */
  send(to: string, channel: number, payload: Uint8Array): void;
  /** Peers currently reachable in both directions. */
  reachable(): ReadonlySet<string>;
  state(): ConnectionState;
  /** Stop delivering events and release the connection. */
  close(): void;
}
