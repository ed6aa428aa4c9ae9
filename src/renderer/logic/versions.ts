/**
 * "What do I have that this peer lacks, and the reverse", from the version metadata each engine reports:
 * vectors compare entry by entry; heads need the change graph, which only this replica's own document
 * can answer (a `HeadsResolver`, from the engine's descriptor), so without one the comparison can only
 * say whether the heads are the same.
 */
import type { EngineVersion, HeadsResolver } from '@converge/replica';

export type { HeadsResolver };

/** One gap: `count` operations or changes of `who`, with a short description for the UI. */
export interface VersionGap {
  readonly who: string;
  readonly count: number;
  readonly detail: string;
}

export type VersionRelation =
  /** Both hold exactly the same operations. */
  | 'equal'
  /** This replica has everything the peer has, and more. */
  | 'ahead'
  | 'behind'
  /** Each has something the other lacks. */
  | 'concurrent'
  /** Heads differ but the graph cannot say how (no resolver). */
  | 'different'
  /** The peer has not told us its version yet (or uses a different kind). */
  | 'unknown';

export interface VersionComparison {
  readonly relation: VersionRelation;
  /** What this replica has that the peer lacks. */
  readonly has: readonly VersionGap[];
  /** What the peer has that this replica lacks. */
  readonly lacks: readonly VersionGap[];
}

/**
 * compareVersions remembered per key (engine and peer): asked again with the same two versions, it answers
 * without the resolver. The status snapshot compares every peer's version a few times a second, and a
 * resolver walks the change graph (issue 19: ~0.5 s of a window's worker over 16 s of typing); our heads
 * fix our history, so the same pair always gets the same answer. Keys not asked for in a round are
 * forgotten at the next `endRound`.
 */
export class VersionComparisons {
  private current = new Map<string, { readonly pair: string; readonly result: VersionComparison }>();
  private next = new Map<string, { readonly pair: string; readonly result: VersionComparison }>();

  compare(
    key: string,
    mine: EngineVersion,
    theirs: EngineVersion | undefined,
    resolver?: () => HeadsResolver,
  ): VersionComparison {
    const pair = `${versionKey(mine)}\u0001${theirs === undefined ? '' : versionKey(theirs)}`;
    const known = this.current.get(key);
    const entry =
      known !== undefined && known.pair === pair
        ? known
        : { pair, result: compareVersions(mine, theirs, resolver?.()) };
    this.next.set(key, entry);
    return entry.result;
  }

  /** The comparisons asked for since the last round are the ones kept. */
  endRound(): void {
    this.current = this.next;
    this.next = new Map();
  }
}

function versionKey(version: EngineVersion): string {
  return version.kind === 'heads'
    ? `h:${version.heads.join(',')}`
    : `v:${Object.entries(version.entries)
        .map(([who, n]) => `${who}=${n}`)
        .join(',')}`;
}

const UNKNOWN: VersionComparison = { relation: 'unknown', has: [], lacks: [] };

export function compareVersions(
  mine: EngineVersion,
  theirs: EngineVersion | undefined,
  resolver?: HeadsResolver,
): VersionComparison {
  if (theirs === undefined || theirs.kind !== mine.kind) return UNKNOWN;
  if (mine.kind === 'vector' && theirs.kind === 'vector') return compareVectors(mine.entries, theirs.entries);
  if (mine.kind === 'heads' && theirs.kind === 'heads')
    return compareHeads(mine.heads, theirs.heads, resolver);
  return UNKNOWN;
}

function compareVectors(
  mine: Readonly<Record<string, number>>,
  theirs: Readonly<Record<string, number>>,
): VersionComparison {
  const has: VersionGap[] = [];
  const lacks: VersionGap[] = [];
  const keys = [...new Set([...Object.keys(mine), ...Object.keys(theirs)])].sort(compareKeys);
  for (const key of keys) {
    const a = mine[key] ?? 0;
    const b = theirs[key] ?? 0;
    if (a > b) has.push({ who: key, count: a - b, detail: range(b, a) });
    else if (b > a) lacks.push({ who: key, count: b - a, detail: range(a, b) });
  }
  return { relation: relationOf(has, lacks), has, lacks };
}

function compareHeads(
  mine: readonly string[],
  theirs: readonly string[],
  resolver: HeadsResolver | undefined,
): VersionComparison {
  const mineSet = new Set(mine);
  const theirSet = new Set(theirs);
  if (mineSet.size === theirSet.size && [...mineSet].every((h) => theirSet.has(h))) {
    return { relation: 'equal', has: [], lacks: [] };
  }
  if (resolver === undefined) {
    const onlyMine = mine.filter((h) => !theirSet.has(h));
    const onlyTheirs = theirs.filter((h) => !mineSet.has(h));
    return {
      relation: 'different',
      has: onlyMine.length > 0 ? [headsGap('heads only here', onlyMine)] : [],
      lacks: onlyTheirs.length > 0 ? [headsGap('heads only there', onlyTheirs)] : [],
    };
  }
  const unknown = resolver.unknown(theirs);
  const unknownSet = new Set(unknown);
  // Changes of ours that are ancestors of heads we do not know cannot be told apart: with unknown heads
  // the count is an upper bound, which the detail says.
  const knownHeads = theirs.filter((h) => !unknownSet.has(h));
  const missing = resolver.changesNotIn(knownHeads);
  const has: VersionGap[] =
    missing > 0
      ? [
          {
            who: 'changes',
            count: missing,
            detail: unknown.length > 0 ? `at most ${missing} (the peer has heads we lack)` : `${missing}`,
          },
        ]
      : [];
  const lacks: VersionGap[] = unknown.length > 0 ? [headsGap('unknown heads', unknown)] : [];
  return { relation: relationOf(has, lacks), has, lacks };
}

function relationOf(has: readonly VersionGap[], lacks: readonly VersionGap[]): VersionRelation {
  if (has.length === 0) return lacks.length === 0 ? 'equal' : 'behind';
  return lacks.length === 0 ? 'ahead' : 'concurrent';
}

function range(from: number, to: number): string {
  return to === from + 1 ? `#${to}` : `#${from + 1}–#${to}`;
}

function headsGap(who: string, heads: readonly string[]): VersionGap {
  return { who, count: heads.length, detail: heads.map(shortHash).join(', ') };
}

export function shortHash(hash: string): string {
  return hash.length > 10 ? hash.slice(0, 8) : hash;
}

/** Numeric keys (Yjs client ids) in numeric order, others alphabetically after them. */
function compareKeys(a: string, b: string): number {
  const na = /^\d+$/.test(a) ? Number(a) : Number.NaN;
  const nb = /^\d+$/.test(b) ? Number(b) : Number.NaN;
  if (!Number.isNaN(na) && !Number.isNaN(nb)) return na - nb;
  if (!Number.isNaN(na)) return -1;
  if (!Number.isNaN(nb)) return 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * A version in plain words for the summary line ("12 steps from 3 writers"), and in the engine's own
 * terms for the tooltip ("version vector: 3 entries, sum 12").
 */
export function describeVersion(version: EngineVersion): {
  readonly plain: string;
  readonly technical: string;
} {
  if (version.kind === 'heads') {
    const n = version.heads.length;
    const plain =
      n === 0
        ? 'nothing yet'
        : n === 1
          ? `history up to change ${shortHash(version.heads[0] ?? '')}`
          : `${n} lines of history not yet joined by a later change`;
    return { plain, technical: `Automerge heads (the latest changes): ${n}` };
  }
  const entries = Object.values(version.entries);
  const total = entries.reduce((sum, n) => sum + n, 0);
  const plain =
    entries.length === 0
      ? 'nothing yet'
      : `${total} step${total === 1 ? '' : 's'} from ${entries.length} writer${entries.length === 1 ? '' : 's'}`;
  return {
    plain,
    technical: `version vector: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}, sum ${total} (for each writer, how many of its operations this replica holds)`,
  };
}
