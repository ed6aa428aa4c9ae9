/**
 * "Converged with every replica", per engine. The strongest evidence is a digest of the peer's state
 * (every replica, the room's storage peer included, announces its digests to the peers it can reach;
 * a peer cut off announces nothing, so its digest is unknown). Otherwise the peer's version from its
 * last sync handshake: different versions mean different states; equal versions mean equal states only
 * where the engine's descriptor says its version counts every operation (not for Yjs, whose state
 * vector leaves deletions out).
 */
import type { EngineName, EngineVersion } from '@converge/replica';
import type { EngineFacts } from '@converge/replica/descriptors';
import { compareVersions } from './versions.ts';

export interface PeerEvidence {
  readonly peer: string;
  /** undefined: nothing tells whether the peer holds the same state. */
  readonly same: boolean | undefined;
  readonly basis: 'digest' | 'version' | 'none';
}

export interface EngineConvergence {
  /** true: every peer known to be the same; false: some peer differs; undefined: no peers, or some unknown. */
  readonly converged: boolean | undefined;
  readonly peers: readonly PeerEvidence[];
}

export interface ConvergenceInput {
  /** Whether equal versions mean equal states (the engine descriptor's `completeVersion`). */
  readonly completeVersion: boolean;
  /** undefined: ours is not known yet (a window's first status): a peer's digest then proves nothing. */
  readonly digest: string | undefined;
  readonly version: EngineVersion;
  /** Every other replica that should agree, sorted. */
  readonly peers: readonly string[];
  /** Digests announced by peers (reachable ones: digests are forgotten when a link goes down). */
  readonly peerDigests: ReadonlyMap<string, string | undefined>;
  /** Versions peers advertised in their handshakes, for peers with a live session. */
  readonly peerVersions: Readonly<Record<string, EngineVersion | undefined>>;
}

export function engineConvergence(input: ConvergenceInput): EngineConvergence {
  const peers = input.peers.map((peer): PeerEvidence => {
    const digest = input.peerDigests.get(peer);
    if (digest !== undefined) {
      if (input.digest === undefined) return { peer, same: undefined, basis: 'none' };
      return { peer, same: digest === input.digest, basis: 'digest' };
    }
    const relation = compareVersions(input.version, input.peerVersions[peer]).relation;
    if (relation === 'unknown') return { peer, same: undefined, basis: 'none' };
    if (relation !== 'equal') return { peer, same: false, basis: 'version' };
    return input.completeVersion
      ? { peer, same: true, basis: 'version' }
      : { peer, same: undefined, basis: 'none' };
  });
  if (peers.length === 0) return { converged: undefined, peers };
  if (peers.some((p) => p.same === false)) return { converged: false, peers };
  if (peers.some((p) => p.same === undefined)) return { converged: undefined, peers };
  return { converged: true, peers };
}

/** The engine's view of one replica status (the subset the convergence check needs). */
export interface EngineState {
  readonly digest: string | undefined;
  readonly version: EngineVersion;
  readonly peerVersions: Readonly<Record<string, EngineVersion | undefined>>;
}

/**
 * The peers a window compares itself with: the room's replicas (as the relay lists them), the peers
 * with a live session (the storage peer among them) and the peers announcing digests, plus `also`.
 * While the window is not online it hears from nobody, and the relay's list of who is connected right
 * now says nothing about whom it should match (it would count "1 of 1" with three peers in the room, or
 * none at all): the app then passes every peer it has seen in the room as `also`.
 */
export function comparedPeers(
  self: string,
  current: {
    readonly sessionPeers: readonly string[];
    readonly roomReplicas: readonly string[];
    readonly digestPeers: Iterable<string>;
  },
  also: readonly string[] = [],
): string[] {
  return [...new Set([...current.roomReplicas, ...current.sessionPeers, ...current.digestPeers, ...also])]
    .filter((id) => id !== self)
    .sort();
}

/** Convergence of every hosted engine (described in `registry`) with each of `peers` (comparedPeers). */
export function convergenceByEngine(
  registry: { find(name: EngineName): Pick<EngineFacts, 'completeVersion'> | undefined },
  engines: Readonly<Partial<Record<EngineName, EngineState>>>,
  peers: readonly string[],
  peerDigests: ReadonlyMap<string, Readonly<Partial<Record<EngineName, string>>>>,
): Partial<Record<EngineName, EngineConvergence>> {
  const result: Partial<Record<EngineName, EngineConvergence>> = {};
  for (const [name, state] of Object.entries(engines) as [EngineName, EngineState | undefined][]) {
    if (state === undefined) continue;
    const digests = new Map<string, string | undefined>();
    for (const [peer, report] of peerDigests) digests.set(peer, report[name]);
    result[name] = engineConvergence({
      completeVersion: registry.find(name)?.completeVersion ?? false,
      digest: state.digest,
      version: state.version,
      peers,
      peerDigests: digests,
      peerVersions: state.peerVersions,
    });
  }
  return result;
}
