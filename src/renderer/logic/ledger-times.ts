/**
 * When the writes of a ledger entry were made, in words that keep two clocks apart: wall time (when the
 * writer really wrote) and the writer's clock, which may be skewed and is what last-writer-wins compares.
 * A write carries the skew in its stamp (LwwWrite.skewMs), so wall time = stamp − skew; writes recorded
 * before writes carried it only have their stamp.
 */
import type { LostWrite } from '@converge/replica';
import { formatDuration, formatSkew } from './format.ts';

interface Stamped {
  readonly replica: string;
  /** The writer's clock, skew included (the stamp). */
  readonly wallMs: number;
  readonly skewMs?: number;
}

export interface LedgerTimes {
  /** When the lost write was made. */
  readonly lost: string;
  /** When the winning write was made. */
  readonly winner: string;
  /** Why the stamps ordered them so, and how that compares with wall time. */
  readonly comparison: string;
}

export function ledgerTimes(entry: LostWrite, time: (ms: number) => string): LedgerTimes {
  const winner: Stamped = entry.overwrittenBy;
  return {
    lost: when(entry, time),
    winner: when(winner, time),
    comparison: compare(entry, winner),
  };
}

function when(write: Stamped, time: (ms: number) => string): string {
  if (write.skewMs === undefined) return `stamped ${time(write.wallMs)} by its clock (skew not recorded)`;
  const wall = time(write.wallMs - write.skewMs);
  if (write.skewMs === 0) return `at ${wall} wall time (its clock was not skewed)`;
  return `at ${wall} wall time; its clock, skewed ${formatSkew(write.skewMs)}, stamped it ${time(write.wallMs)}`;
}

function compare(lost: Stamped, winner: Stamped): string {
  const stampGap = winner.wallMs - lost.wallMs;
  const stamps =
    stampGap === 0
      ? `Both clocks stamped the same millisecond; the replica id broke the tie for ${winner.replica}.`
      : `${winner.replica}'s clock stamp is ${formatDuration(Math.abs(stampGap))} ${stampGap > 0 ? 'later' : 'earlier'} than ${lost.replica}'s.`;
  if (lost.skewMs === undefined || winner.skewMs === undefined) return stamps;
  const wallGap = winner.wallMs - winner.skewMs - (lost.wallMs - lost.skewMs);
  if (wallGap === stampGap) return `${stamps} No clock was skewed: that is wall time too.`;
  if (wallGap > 0) {
    return `${stamps} In wall time ${winner.replica} wrote ${formatDuration(wallGap)} later.`;
  }
  const wall =
    wallGap === 0
      ? 'in wall time both wrote in the same millisecond'
      : `in wall time ${winner.replica} wrote ${formatDuration(-wallGap)} earlier`;
  return `${stamps} Yet ${wall}: the skew decided.`;
}
