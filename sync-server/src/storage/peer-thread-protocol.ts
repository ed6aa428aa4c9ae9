/**
 * The messages between the relay's thread and the storage peers' thread (./peer-thread.ts hosts them
 * there, ./peer-worker.ts runs them). The relay's thread keeps everything that touches the room (the
 * in-process node, so links, chaos and limits apply as before) and the stores that need it (a cluster's
 * fenced log under the room's lease); the worker keeps the replicas, so no engine's apply ever runs on
 * the thread that forwards frames.
 */
import type { ConnectionState, CutLink, LinkDownReason } from '@converge/protocol';
import type { ByteLogContents } from '@converge/replica';

/** Where a room's replica store lives, as the worker is told. */
export type StoreLocation =
  /** A crash-safe file log in this directory, opened and fsynced by the worker itself. */
  | { readonly kind: 'directory'; readonly directory: string }
  /** A byte log the relay's thread owns (a fenced Redis log); the worker calls it through `log-call`. */
  | { readonly kind: 'relay' };

export type ToWorker =
  | { readonly type: 'open'; readonly room: string; readonly store: StoreLocation }
  | { readonly type: 'close'; readonly room: string }
  | { readonly type: 'state'; readonly room: string; readonly state: ConnectionState }
  | { readonly type: 'link-up'; readonly room: string; readonly peer: string }
  /** The room's cut links, as the relay's latest cuts frame listed them. */
  | { readonly type: 'cuts'; readonly room: string; readonly links: readonly CutLink[] }
  | {
      readonly type: 'link-down';
      readonly room: string;
      readonly peer: string;
      readonly reason: LinkDownReason | undefined;
    }
  | {
      readonly type: 'message';
      readonly room: string;
      readonly from: string;
      readonly channel: number;
      readonly payload: Uint8Array;
    }
  | { readonly type: 'status'; readonly room: string; readonly id: number }
  | {
      readonly type: 'log-reply';
      readonly id: number;
      readonly value?: ByteLogContents;
      readonly error?: string;
    };

export interface PeerStatusReply {
  readonly pendingWrites: number;
  readonly engines: Readonly<Record<string, { readonly digest: string; readonly version: unknown }>>;
}

export type FromWorker =
  | { readonly type: 'opened'; readonly room: string }
  | { readonly type: 'open-failed'; readonly room: string; readonly error: string }
  | { readonly type: 'closed'; readonly room: string }
  /** The replica closed its transport: the storage peer leaves the room now (before its writes settle). */
  | { readonly type: 'leave'; readonly room: string }
  | {
      readonly type: 'send';
      readonly room: string;
      readonly to: string;
      readonly channel: number;
      readonly payload: Uint8Array;
    }
  | {
      readonly type: 'broadcast';
      readonly room: string;
      readonly channel: number;
      readonly payload: Uint8Array;
    }
  /** Bytes of `message` payloads the worker finished handling (so the relay can bound what waits there). */
  | { readonly type: 'handled'; readonly room: string; readonly bytes: number }
  | { readonly type: 'status-reply'; readonly id: number; readonly status: PeerStatusReply | undefined }
  | {
      readonly type: 'log-call';
      readonly id: number;
      readonly room: string;
      readonly op: 'open' | 'append' | 'compact' | 'close';
      readonly bytes?: Uint8Array;
    }
  | {
      readonly type: 'log';
      readonly level: 'warn' | 'error';
      readonly event: string;
      readonly fields: Readonly<Record<string, unknown>>;
    };
