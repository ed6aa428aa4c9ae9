/**
 * What a replica needs from the network, whatever carries it: the relay over WebSocket
 * (RelayTransport), the in-process simulated network (tests, scenario runner), or nothing (offline).
 * Links are directed in the relay but a sync session needs both directions, so a peer counts as
 * reachable only while frames can flow both ways.
 */
import type { CutLink, LinkDownReason } from './frames.ts';

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
  /**
   * Optional: every entry of one received frame (a bundle: what the peer sent in one task) has been given
   * to `message`, so a handler that queues them can take or drop the frame whole. The relay's local node
   * calls it; a socket transport may not, so a handler also ends a frame at the end of the task.
   */
  frameEnd?(): void;
  /** Connection to the network changed (all links are down while not online). */
  state?(state: ConnectionState): void;
  /**
   * Optional: the relay told the room's cut links (its cuts frame: after welcome, and on every change).
   * The transport answers `linked` from them itself; this is for a handler that relays the transport
   * to another thread (the storage peer's).
   */
  cuts?(links: readonly CutLink[]): void;
}

export interface Transport {
  /** This node's id in the room. */
  readonly nodeId: string;
  /** Begin delivering events to the handlers (called once by the replica). */
  start(handlers: TransportHandlers): void;
  /** Send to one peer; silently dropped if the peer is unreachable (sessions resync on linkUp). */
  send(to: string, channel: number, payload: Uint8Array): void;
  /**
   * Send one frame to every peer reachable from this node (the relay fans it out, each directed link as
   * its link table says, and never back to the sender). Optional: a replica whose transport lacks it sends
   * to each peer instead. Silently dropped while not online.
   */
  broadcast?(channel: number, payload: Uint8Array): void;
  /** Peers currently reachable in both directions. */
  reachable(): ReadonlySet<string>;
  /**
   * Optional: whether what node `from` sends reaches node `to` (both directed links between them up; a
   * node takes frames only from peers it reaches), for any two nodes of the room; undefined while the
   * transport cannot tell (before the relay said which links are cut). Without it, nobody can tell.
   */
  linked?(from: string, to: string): boolean | undefined;
  state(): ConnectionState;
  /** Stop delivering events and release the connection. */
  close(): void;
}

/**
 * `inner`, telling `sent` of every frame before sending it (`to` null for a broadcast, offered only when
 * `inner` broadcasts): for counting what a node puts on the wire, in benchmarks and tests.
 */
export function reportingSends(
  inner: Transport,
  sent: (to: string | null, channel: number, payload: Uint8Array) => void,
): Transport {
  const reporting: Transport = {
    nodeId: inner.nodeId,
    start: (handlers) => inner.start(handlers),
    send: (to, channel, payload) => {
      sent(to, channel, payload);
      inner.send(to, channel, payload);
    },
    reachable: () => inner.reachable(),
    state: () => inner.state(),
    close: () => inner.close(),
  };
  const linked = inner.linked?.bind(inner);
  if (linked !== undefined) reporting.linked = linked;
  const broadcast = inner.broadcast?.bind(inner);
  if (broadcast === undefined) return reporting;
  return {
    ...reporting,
    broadcast: (channel, payload) => {
      sent(null, channel, payload);
      broadcast(channel, payload);
    },
  };
}
