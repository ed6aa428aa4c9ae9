/**
 * A token bucket per source address, for actions that are cheap to ask for and costly to serve (a new
 * room opens a storage peer and a folder on disk). Sources whose bucket has refilled are forgotten, so
 * the map holds only recently active addresses.
 */
import { TokenBucket } from './token-bucket.ts';

export class SourceLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly perSecond: number,
    private readonly burst: number,
  ) {}

  get size(): number {
    return this.buckets.size;
  }

  /** Take one token of `source`'s bucket if there is one. */
  take(source: string, now: number): boolean {
    let bucket = this.buckets.get(source);
    if (bucket === undefined) {
      bucket = new TokenBucket(this.perSecond, this.burst, now);
      this.buckets.set(source, bucket);
    }
    return bucket.take(now);
  }

  /** Forget sources whose bucket is full again: they are indistinguishable from new ones. */
  prune(now: number): void {
    for (const [source, bucket] of this.buckets) {
      if (bucket.isFull(now)) this.buckets.delete(source);
    }
  }
}
