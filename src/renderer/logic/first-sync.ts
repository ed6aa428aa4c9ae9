/**
 * A window that opened with nothing stored (a new replica) waits for the room's document from the relay;
 * it shows a progress indicator until it holds what a peer (the room's storage peer, another window)
 * holds: the first time a peer's announced digest of the primary engine equals ours. A window that
 * reopens its replica shows its own stored text at once and never waits.
 */
import type { EngineName, EngineVersion, PeerDigests } from '@converge/replica';

export type FirstSync =
  | { readonly phase: 'done' }
  /** Not connected yet (or switched offline): nothing can arrive. */
  | { readonly phase: 'waiting'; readonly offline: boolean }
  /** Connected: bytes received from peers so far, every engine together. */
  | { readonly phase: 'receiving'; readonly bytes: number };

export const FIRST_SYNC_DONE: FirstSync = { phase: 'done' };

/** Nothing stored: an empty vector or no heads. */
export function isEmptyVersion(version: EngineVersion): boolean {
  return version.kind === 'vector' ? Object.keys(version.entries).length === 0 : version.heads.length === 0;
}

export interface FirstSyncInput {
  readonly primary: EngineName;
  /** undefined: not known yet (a status without digests): no peer counts as holding the same. */
  readonly ownDigest: string | undefined;
  readonly peerDigests: ReadonlyMap<string, PeerDigests>;
  readonly online: boolean;
  readonly offline: boolean;
  readonly bytesReceived: number;
}

/** Where a waiting window is; 'done' once some peer holds exactly what it holds. */
export function firstSync(input: FirstSyncInput): FirstSync {
  if (input.ownDigest !== undefined)
    for (const digests of input.peerDigests.values())
      if (digests[input.primary] === input.ownDigest) return FIRST_SYNC_DONE;
  if (!input.online) return { phase: 'waiting', offline: input.offline };
  return { phase: 'receiving', bytes: input.bytesReceived };
}
