/**
 * The wire inspector's record: every engine frame this replica sent or received, newest last, in a ring
 * of bounded size so a long session never grows memory, plus running totals per engine and direction.
 */
import type { EngineName } from '@converge/replica';

export type Direction = 'out' | 'in';

export interface WireFrame {
  /** Increases by one per frame over the whole session (also past the ring's capacity). */
  readonly seq: number;
  /** Wall clock (ms) when it passed. */
  readonly at: number;
  readonly direction: Direction;
  readonly peer: string;
  readonly engine: EngineName;
  readonly kind: string;
  readonly bytes: number;
}

export interface WireTotals {
  readonly frames: number;
  readonly bytes: number;
}

export type EngineWireTotals = Readonly<Record<EngineName, Readonly<Record<Direction, WireTotals>>>>;

export class WireLog {
  private readonly ring: (WireFrame | undefined)[];
  private next = 0;
  private seq = 0;
  private readonly totalsByEngine = new Map<
    EngineName,
    Record<Direction, { frames: number; bytes: number }>
  >();

  /** `engines`: the engines counted (the replica's), in display order. */
  constructor(
    engines: readonly EngineName[],
    readonly capacity = 500,
  ) {
    if (!(Number.isSafeInteger(capacity) && capacity > 0))
      throw new RangeError('capacity must be a positive integer');
    this.ring = new Array<WireFrame | undefined>(capacity);
    for (const engine of engines) {
      this.totalsByEngine.set(engine, { out: { frames: 0, bytes: 0 }, in: { frames: 0, bytes: 0 } });
    }
  }

  record(frame: Omit<WireFrame, 'seq'>): WireFrame {
    const entry: WireFrame = { ...frame, seq: ++this.seq };
    this.ring[this.next] = entry;
    this.next = (this.next + 1) % this.capacity;
    const totals = this.totalsByEngine.get(frame.engine)?.[frame.direction];
    if (totals !== undefined) {
      totals.frames++;
      totals.bytes += frame.bytes;
    }
    return entry;
  }

  /** The frames still held, oldest first. */
  frames(): WireFrame[] {
    const out: WireFrame[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const frame = this.ring[(this.next + i) % this.capacity];
      if (frame !== undefined) out.push(frame);
    }
    return out;
  }

  /** Every frame ever recorded, counted (not only those still held). */
  totals(): EngineWireTotals {
    const result = {} as Record<EngineName, Record<Direction, WireTotals>>;
    for (const [engine, totals] of this.totalsByEngine) {
      result[engine] = { out: { ...totals.out }, in: { ...totals.in } };
    }
    return result;
  }

  /** Frames recorded since the session started. */
  get recorded(): number {
    return this.seq;
  }
}
