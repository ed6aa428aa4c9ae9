/**
 * Seeded chaos on a directed link: drop, duplicate, reorder and delay frames.
 *
 * Each directed link draws from its own generator, seeded from the configured seed and the two node
 * ids, so what happens on one link depends only on that link's own frames: the same seed and the
 * same frames in the same order (and, for delays, the same clock) give the same deliveries, however
 * traffic on other links interleaves.
 *
 * Pipeline per frame: drop? → duplicate? → each copy enters the reorder buffer (a full buffer
 * releases a randomly chosen frame; a frame waits at most `reorderHoldMs`) → delay + jitter → deliver.
 */

import type { Cancel, Timers } from '@converge/protocol';
import { SeededRandom } from '@converge/protocol';

export interface ChaosConfig {
  /** Fixed delay added to every frame. */
  readonly delayMs: number;
  /** Extra delay, uniform in [0, jitterMs]. Different delays reorder frames too. */
  readonly jitterMs: number;
  /** Probability that a frame is dropped. */
  readonly dropRate: number;
  /** Probability that a (kept) frame is delivered twice. */
  readonly duplicateRate: number;
  /** Frames that may overtake each other: 1 keeps order, W lets a frame be passed by up to W−1 later ones. */
  readonly reorderWindow: number;
  /** Longest a frame waits in the reorder buffer for others to arrive. */
  readonly reorderHoldMs: number;
  readonly seed: number;
}

export const NO_CHAOS: ChaosConfig = {
  delayMs: 0,
  jitterMs: 0,
  dropRate: 0,
  duplicateRate: 0,
  reorderWindow: 1,
  reorderHoldMs: 50,
  seed: 0,
};

const MAX_DELAY_MS = 60_000;
const MAX_REORDER_WINDOW = 1000;

export class ChaosConfigError extends Error {
  override readonly name = 'ChaosConfigError';
}

/** True when the config changes nothing, so frames can take the direct path. */
export function isNoChaos(config: ChaosConfig): boolean {
  return (
    config.delayMs === 0 &&
    config.jitterMs === 0 &&
    config.dropRate === 0 &&
    config.duplicateRate === 0 &&
    config.reorderWindow <= 1
  );
}

/** Validate a (possibly partial) chaos config from the admin API; missing fields take NO_CHAOS values. */
export function parseChaosConfig(input: unknown): ChaosConfig {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) {
    throw new ChaosConfigError('chaos config must be an object');
  }
  const record = input as Record<string, unknown>;
  for (const field of Object.keys(record)) {
    if (!(field in NO_CHAOS)) throw new ChaosConfigError(`unknown chaos field ${JSON.stringify(field)}`);
  }
  const number = (field: keyof ChaosConfig, min: number, max: number, integer: boolean): number => {
    const value = record[field] ?? NO_CHAOS[field];
    if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > max) {
      throw new ChaosConfigError(`${field} must be a number in [${min}, ${max}]`);
    }
    if (integer && !Number.isInteger(value)) throw new ChaosConfigError(`${field} must be an integer`);
    return value;
  };
  return {
    delayMs: number('delayMs', 0, MAX_DELAY_MS, false),
    jitterMs: number('jitterMs', 0, MAX_DELAY_MS, false),
    dropRate: number('dropRate', 0, 1, false),
    duplicateRate: number('duplicateRate', 0, 1, false),
    reorderWindow: number('reorderWindow', 1, MAX_REORDER_WINDOW, true),
    reorderHoldMs: number('reorderHoldMs', 0, MAX_DELAY_MS, false),
    seed: number('seed', 0, 0xffffffff, true),
  };
}

/** FNV-1a over the seed and the link, so every directed link gets its own stream. */
export function linkSeed(seed: number, from: string, to: string): number {
  let h = 0x811c9dc5 ^ seed;
  const text = `${from} ${to}`;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/**
 * Runs callbacks at a later time on one clock timer: a binary heap ordered by due time, then by
 * submission order, so equal due times keep their order.
 */
export class DelayQueue {
  private readonly heap: { at: number; seq: number; run: () => void }[] = [];
  private seq = 0;
  private timer: Cancel | undefined;
  private timerAt = Number.POSITIVE_INFINITY;

  constructor(private readonly clock: Timers) {}

  get size(): number {
    return this.heap.length;
  }

  /** Run `run` after `delayMs`; immediately (synchronously) when the delay is not positive. */
  schedule(delayMs: number, run: () => void): void {
    if (delayMs <= 0) {
      run();
      return;
    }
    this.push({ at: this.clock.now() + delayMs, seq: this.seq++, run });
    this.arm();
  }

  /** Forget everything pending (shutdown). */
  clear(): void {
    this.heap.length = 0;
    this.timer?.();
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
  }

  private arm(): void {
    const head = this.heap[0];
    if (head === undefined || head.at >= this.timerAt) return;
    this.timer?.();
    this.timerAt = head.at;
    this.timer = this.clock.setTimeout(() => this.fire(), Math.max(0, head.at - this.clock.now()));
  }

  private fire(): void {
    this.timer = undefined;
    this.timerAt = Number.POSITIVE_INFINITY;
    const now = this.clock.now();
    for (let head = this.heap[0]; head !== undefined && head.at <= now; head = this.heap[0]) {
      this.pop();
      head.run();
    }
    this.arm();
  }

  private less(i: number, j: number): boolean {
    const a = this.heap[i]!;
    const b = this.heap[j]!;
    return a.at < b.at || (a.at === b.at && a.seq < b.seq);
  }

  private swap(i: number, j: number): void {
    const tmp = this.heap[i]!;
    this.heap[i] = this.heap[j]!;
    this.heap[j] = tmp;
  }

  private push(entry: { at: number; seq: number; run: () => void }): void {
    this.heap.push(entry);
    let i = this.heap.length - 1;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!this.less(i, parent)) break;
      this.swap(i, parent);
      i = parent;
    }
  }

  private pop(): void {
    const last = this.heap.pop();
    if (last === undefined || this.heap.length === 0) return;
    this.heap[0] = last;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < this.heap.length && this.less(l, m)) m = l;
      if (r < this.heap.length && this.less(r, m)) m = r;
      if (m === i) break;
      this.swap(i, m);
      i = m;
    }
  }
}

export interface ChaosVerdict {
  /** How many copies will be delivered: 0 (dropped), 1, or 2 (duplicated). */
  readonly copies: 0 | 1 | 2;
}

/** The chaos of one directed link. `deliver` is called once per copy, after reordering and delay. */
export class LinkChaos<T> {
  private readonly random: SeededRandom;
  private readonly held: T[] = [];
  private holdTimer: Cancel | undefined;

  constructor(
    readonly config: ChaosConfig,
    seed: number,
    private readonly clock: Timers,
    private readonly queue: DelayQueue,
    private readonly deliver: (item: T) => void,
  ) {
    this.random = new SeededRandom(seed);
  }

  submit(item: T): ChaosVerdict {
    // Always draw the same number of values per frame, so one decision never shifts the next ones.
    const dropDraw = this.random.next();
    const duplicateDraw = this.random.next();
    if (dropDraw < this.config.dropRate) return { copies: 0 };
    const copies = duplicateDraw < this.config.duplicateRate ? 2 : 1;
    for (let i = 0; i < copies; i++) this.enter(item);
    return { copies };
  }

  /** Release every held frame now (config change, shutdown of the link). */
  flush(): void {
    this.holdTimer?.();
    this.holdTimer = undefined;
    const released = this.random.shuffle(this.held);
    this.held.length = 0;
    for (const item of released) this.delay(item);
  }

  private enter(item: T): void {
    if (this.config.reorderWindow <= 1) {
      this.delay(item);
      return;
    }
    this.held.push(item);
    if (this.held.length >= this.config.reorderWindow) {
      const index = this.random.int(0, this.held.length - 1);
      const [released] = this.held.splice(index, 1);
      this.delay(released as T);
    }
    if (this.held.length === 0) {
      this.holdTimer?.();
      this.holdTimer = undefined;
    } else if (this.holdTimer === undefined) {
      this.holdTimer = this.clock.setTimeout(() => {
        this.holdTimer = undefined;
        this.flush();
      }, this.config.reorderHoldMs);
    }
  }

  private delay(item: T): void {
    const jitter = this.config.jitterMs > 0 ? this.random.next() * this.config.jitterMs : 0;
    this.queue.schedule(this.config.delayMs + jitter, () => this.deliver(item));
  }
}
