/**
 * A node living in the relay's own process (the room's storage peer), joined to a room like any
 * other node: it receives the same encoded frames through a `NodeEndpoint` and its sends take the
 * same routing, link and chaos path as frames arriving over a socket. It is a `Transport`, so a
 * replica runs on it unchanged.
 *
 * Frames reach it asynchronously (a microtask after the room queued them), so a replica answering
 * inside a handler never re-enters the room while it is routing.
 */
import {
  type BundleEntry,
  type ConnectionState,
  dataEntries,
  decodeFrame,
  FrameBundler,
  KnownCuts,
  type NodeRole,
  type Transport,
  type TransportHandlers,
} from '@converge/protocol';
import type { Member, NodeEndpoint, Room } from './room.ts';

/** The relay's default frame size limit (limits.ts), for a local node told no other. */
const DEFAULT_MAX_BUNDLE_BYTES = 1024 * 1024;

export interface LocalNodeOptions {
  readonly room: string;
  readonly nodeId: string;
  /** Most bytes a bundle of several frames it sends may take (the relay gives its maxFrameBytes). */
  readonly maxBundleBytes?: number;
  /** Default 'storage'. */
  readonly role?: NodeRole;
}

/** Called when a handler of the node throws: the relay logs it instead of letting it take the process down. */
export type LocalNodeErrorReporter = (nodeId: string, error: unknown) => void;

/** What the relay gives a local node when it joins. */
export interface LocalAttachment {
  readonly room: Room;
  readonly member: Member;
  /** Leave the room (and let the relay forget it if it became empty). */
  leave(): void;
}

export class LocalTransport implements Transport {
  readonly nodeId: string;
  private handlers: TransportHandlers | undefined;
  private attachment: LocalAttachment | undefined;
  private connectionState: ConnectionState = 'offline';
  private readonly peers = new Set<string>();
  /** The room's cut links, from the room's cuts frames. */
  private readonly cuts = new KnownCuts();
  private readonly inbox: Uint8Array[] = [];
  private inboxBytes = 0;
  private drainScheduled = false;

  private readonly endpoint: NodeEndpoint = {
    remote: 'in-process',
    send: (frame) => {
      this.inbox.push(frame);
      this.inboxBytes += frame.length;
      if (!this.drainScheduled) {
        this.drainScheduled = true;
        queueMicrotask(() => this.drain());
      }
    },
    bufferedBytes: () => this.inboxBytes,
    close: () => {
      // The relay removed us (shutdown, replaced): frames already queued are still delivered first.
      this.attachment = undefined;
      queueMicrotask(() => this.disconnected());
    },
  };

  /** What the node sends in one task goes to the room as one frame, as a window's does. */
  private readonly outgoing: FrameBundler;

  constructor(
    private readonly options: LocalNodeOptions,
    private readonly attach: (endpoint: NodeEndpoint, role: NodeRole) => LocalAttachment,
    private readonly reportError: LocalNodeErrorReporter,
  ) {
    this.nodeId = options.nodeId;
    this.outgoing = new FrameBundler({
      from: this.nodeId,
      // In-process: no socket limit refuses a frame of its own, but bundles stay within the relay's frame
      // size, as a window's do, so a node catching up gets its engines' large updates a frame at a time.
      maxFrameBytes: () => Number.POSITIVE_INFINITY,
      maxBundleBytes: () => this.options.maxBundleBytes ?? DEFAULT_MAX_BUNDLE_BYTES,
      emit: (bytes, entries) => this.emit(bytes, entries),
      tooLarge: () => {},
    });
  }

  /** Join the room. Throws (ControlError) when the relay's limits refuse the node. */
  start(handlers: TransportHandlers): void {
    if (this.handlers !== undefined) throw new Error('LocalTransport.start called twice');
    this.handlers = handlers;
    this.setState('connecting');
    this.attachment = this.attach(this.endpoint, this.options.role ?? 'storage');
  }

  send(to: string, channel: number, payload: Uint8Array): void {
    if (this.peers.has(to)) this.route(to, channel, payload);
  }

  /** One frame the room fans out to every node this one reaches (its link table decides). */
  broadcast(channel: number, payload: Uint8Array): void {
    this.route(null, channel, payload);
  }

  private route(to: string | null, channel: number, payload: Uint8Array): void {
    if (this.attachment === undefined || this.connectionState !== 'online') return;
    this.outgoing.add(to, channel, payload);
  }

  /** A frame the bundler put together: routed as if it had come over a socket. */
  private emit(bytes: Uint8Array, entries: readonly BundleEntry[]): void {
    const attachment = this.attachment;
    if (attachment === undefined || this.connectionState !== 'online') return;
    // The bundler flushes on a microtask, outside any caller's catch: a throw here would end the process.
    try {
      attachment.room.route(attachment.member, { type: 'bundle', from: this.nodeId, entries }, bytes);
    } catch (error) {
      this.reportError(this.nodeId, error);
    }
  }

  reachable(): ReadonlySet<string> {
    return this.peers;
  }

  linked(from: string, to: string): boolean | undefined {
    return this.cuts.linked(from, to);
  }

  state(): ConnectionState {
    return this.connectionState;
  }

  close(): void {
    this.outgoing.flush();
    this.handlers = undefined;
    this.attachment?.leave();
    this.attachment = undefined;
    this.inbox.length = 0;
    this.inboxBytes = 0;
    this.peers.clear();
    this.cuts.forget();
    this.connectionState = 'offline';
  }

  private drain(): void {
    this.drainScheduled = false;
    const frames = this.inbox.splice(0);
    this.inboxBytes = 0;
    for (const bytes of frames) {
      if (this.handlers === undefined) return;
      // Frames run on a microtask: an exception here would be uncaught and end the relay's process.
      try {
        this.deliver(bytes);
      } catch (error) {
        this.reportError(this.nodeId, error);
      }
    }
  }

  private deliver(bytes: Uint8Array): void {
    const handlers = this.handlers;
    if (handlers === undefined) return;
    const frame = decodeFrame(bytes);
    switch (frame.type) {
      case 'welcome':
        this.setState('online');
        for (const peer of frame.peers) if (peer.reachable) this.linkUp(peer.id);
        break;
      case 'link-up':
        this.linkUp(frame.peer);
        break;
      case 'link-down':
        if (this.peers.delete(frame.peer)) handlers.linkDown(frame.peer);
        break;
      case 'cuts':
        this.cuts.learn(frame.links);
        handlers.cuts?.(frame.links);
        break;
      case 'data':
      case 'bundle':
        for (const entry of dataEntries(frame)) {
          // A handler may close the node: every entry is checked again.
          if (this.handlers !== handlers || !this.peers.has(frame.from)) break;
          handlers.message(frame.from, entry.channel, entry.payload);
        }
        if (this.handlers === handlers) handlers.frameEnd?.();
        break;
      default:
        break;
    }
  }

  private linkUp(peer: string): void {
    if (this.peers.has(peer)) return;
    this.peers.add(peer);
    this.handlers?.linkUp(peer);
  }

  private disconnected(): void {
    this.cuts.forget();
    try {
      for (const peer of [...this.peers]) {
        this.peers.delete(peer);
        this.handlers?.linkDown(peer);
      }
      this.setState('offline');
    } catch (error) {
      this.reportError(this.nodeId, error);
    }
  }

  private setState(state: ConnectionState): void {
    if (state === this.connectionState) return;
    this.connectionState = state;
    this.handlers?.state?.(state);
  }
}
