/** What a replica tells its subscribers (the UI, logs, tests) about anything `status()` reports. */
import type { ConnectionState } from '@converge/protocol';
import type { EngineChange } from '../engine.ts';
import type { EngineName } from '../engine-name.ts';
import type { TextDelta } from '../text-delta.ts';
import type { ReplicaProblem } from './problems.ts';

export type ReplicaEvent =
  | {
      readonly type: 'change';
      readonly engine: EngineName;
      readonly origin: EngineChange['origin'];
      /** For a remote change: the peer whose message caused it. */
      readonly peer?: string;
    }
  /**
   * An engine's text changed: `deltas` turn the text as the last 'text' event of this engine and field
   * left it (or as `Replica.textSlice` read it) into the new one. Comes before that change's 'change'.
   */
  | {
      readonly type: 'text';
      readonly engine: EngineName;
      readonly field: string;
      readonly origin: EngineChange['origin'];
      readonly deltas: readonly TextDelta[];
    }
  /** What `convergence()` reports changed (coalesced like the digest announcements: one per burst). */
  | { readonly type: 'convergence' }
  | { readonly type: 'connection'; readonly state: ConnectionState }
  | { readonly type: 'peers'; readonly peers: readonly string[] }
  | {
      readonly type: 'settings';
      readonly skewMs: number;
      readonly primary: EngineName;
      readonly offline: boolean;
    }
  | { readonly type: 'traffic'; readonly engine: EngineName }
  /** What `peerDigests()` reports for the peer changed (a new digest, or forgotten on linkDown). */
  | { readonly type: 'peer-digests'; readonly peer: string }
  | { readonly type: 'problem'; readonly problem: ReplicaProblem }
  /** What `presence()` reports changed (a peer announced, was cut off, left or went silent). */
  | { readonly type: 'presence' }
  /** What can be undone or redone changed (`canUndo`, `canRedo`). */
  | { readonly type: 'history' }
  /** An engine finished loading (a progressive open): `engines` are those still loading. */
  | { readonly type: 'loading'; readonly engines: readonly EngineName[] }
  /** Engines fell behind on a large edit, or caught up: `engines` are those behind now. */
  | { readonly type: 'behind'; readonly engines: readonly EngineName[] };

export class ReplicaEvents {
  private readonly listeners = new Set<(event: ReplicaEvent) => void>();

  /** `internal` hears every event first: the replica's own reactions, which are not a subscriber. */
  constructor(private readonly internal: (event: ReplicaEvent) => void = () => {}) {}

  /** Whether anybody subscribed: events only subscribers would hear need not even be made. */
  get subscribed(): boolean {
    return this.listeners.size > 0;
  }

  subscribe(listener: (event: ReplicaEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(event: ReplicaEvent): void {
    this.internal(event);
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A failing UI listener must not break replication.
      }
    }
  }

  clear(): void {
    this.listeners.clear();
  }
}

export class ReplicaError extends Error {
  override readonly name = 'ReplicaError';
}
