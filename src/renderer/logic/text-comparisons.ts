/**
 * The Compare panel's texts, kept up to date from the text feed's per-engine changes: a change marks
 * that engine's card (every card, when it is the primary's text) stale and shortens what it is known to
 * share with the primary's text at either end; one flush per `schedule` tick (an animation frame in the
 * app) grows those shared ends back from where the change stopped them and reads only slices around the
 * difference, so a keystroke costs the panel a keystroke's reading, never whole texts. Nothing is
 * compared while no one subscribes (the panel is not shown).
 */
import type { EngineName } from '@converge/replica';
import { keepEqual } from './keep-equal.ts';
import { extendSharedEnds, lowerSharedEnds, type SharedEnds } from './shared-ends.ts';
import type { TextFeed, TextUpdate } from './text-feed.ts';
import { type TextWindow, textWindowOf } from './text-window.ts';
import { timed } from './timing.ts';

/** Per field name, per engine: what its card shows. */
export type TextComparisonSnapshot = ReadonlyMap<string, ReadonlyMap<EngineName, TextWindow>>;

/** One engine's card: per field name, its window. */
export type CardWindows = ReadonlyMap<string, TextWindow>;

export interface TextComparisonsOptions {
  readonly feed: TextFeed;
  readonly engines: readonly EngineName[];
  readonly fields: readonly string[];
  readonly primary: EngineName;
  /** Runs `flush` soon (once per animation frame in the app, synchronously in tests). */
  readonly schedule: (flush: () => void) => void;
}

export class TextComparisons {
  private readonly feed: TextFeed;
  private readonly engines: readonly EngineName[];
  private readonly fields: readonly string[];
  private readonly schedule: (flush: () => void) => void;
  private primary: EngineName;
  private readonly stale = new Map<string, Set<EngineName>>();
  /** Per field, per engine: what its text shares with the primary's at either end (lower bounds). */
  private readonly ends = new Map<string, Map<EngineName, SharedEnds>>();
  private readonly listeners = new Set<() => void>();
  private readonly stops: (() => void)[] = [];
  private snapshot: Map<string, Map<EngineName, TextWindow>> = new Map();
  /** Per engine, its windows: a new map only when one of them changed (each card follows its own). */
  private readonly cards = new Map<EngineName, CardWindows>();
  private scheduled = false;
  private closed = false;

  constructor(options: TextComparisonsOptions) {
    this.feed = options.feed;
    this.engines = options.engines;
    this.fields = options.fields;
    this.schedule = options.schedule;
    this.primary = options.primary;
    for (const field of this.fields) {
      this.stale.set(field, new Set(this.engines));
      this.ends.set(field, new Map(this.engines.map((engine) => [engine, { prefix: 0, suffix: 0 }])));
      for (const engine of this.engines)
        this.stops.push(this.feed.subscribe(engine, field, (update) => this.changed(field, engine, update)));
    }
    this.flush();
  }

  setPrimary(primary: EngineName): void {
    if (primary === this.primary) return;
    this.primary = primary;
    // Every pair is new: compare each from scratch once.
    for (const ends of this.ends.values())
      for (const shared of ends.values()) Object.assign(shared, NOTHING_SHARED);
    for (const field of this.fields) this.changed(field, primary, undefined);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): TextComparisonSnapshot => this.snapshot;

  /** `engine`'s windows, the same map until one of them shows something else. */
  windowsOf(engine: EngineName): CardWindows {
    return this.cards.get(engine) ?? NO_WINDOWS;
  }

  close(): void {
    this.closed = true;
    for (const stop of this.stops.splice(0)) stop();
    this.listeners.clear();
  }

  private changed(field: string, engine: EngineName, update: TextUpdate | undefined): void {
    const stale = this.stale.get(field);
    const ends = this.ends.get(field);
    if (stale === undefined || ends === undefined) return;
    const lowered = engine === this.primary ? this.engines : [engine];
    for (const name of lowered) {
      stale.add(name);
      const shared = ends.get(name);
      if (update !== undefined && shared !== undefined)
        lowerSharedEnds(shared, update.changes, lengthBefore(update));
    }
    if (this.scheduled || this.closed) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      if (this.closed) return;
      timed('converge:compare', () => this.flush());
      for (const listener of [...this.listeners]) listener();
    });
  }

  private flush(): void {
    const next = new Map(this.snapshot);
    const changed = new Set<EngineName>();
    for (const [field, stale] of this.stale) {
      if (stale.size === 0) continue;
      const cards = new Map(next.get(field));
      for (const engine of stale) {
        // Recomputed (the primary's text changed) but showing the same: kept, its card not rendered again.
        const before = cards.get(engine);
        const window = keepEqual(before, this.window(field, engine));
        if (window === before) continue;
        cards.set(engine, window);
        changed.add(engine);
      }
      stale.clear();
      next.set(field, cards);
    }
    this.snapshot = next;
    for (const engine of changed)
      this.cards.set(
        engine,
        new Map(
          this.fields.flatMap((field) => {
            const window = next.get(field)?.get(engine);
            return window === undefined ? [] : [[field, window] as const];
          }),
        ),
      );
  }

  private window(field: string, engine: EngineName): TextWindow {
    const { feed, primary } = this;
    const primaryLength = feed.length(primary, field);
    const otherLength = feed.length(engine, field);
    const ends = this.ends.get(field)?.get(engine) ?? { ...NOTHING_SHARED };
    const { prefix, suffix } =
      engine === primary
        ? { prefix: primaryLength, suffix: 0 }
        : extendSharedEnds(
            {
              lengths: [primaryLength, otherLength],
              slice: (side, from, to) => feed.slice(side === 0 ? primary : engine, field, from, to),
            },
            ends,
          );
    return textWindowOf({
      primaryLength,
      otherLength,
      prefix,
      suffix,
      primary: (from, to) => feed.slice(primary, field, from, to),
      other: (from, to) => feed.slice(engine, field, from, to),
    });
  }
}

const NOTHING_SHARED: SharedEnds = { prefix: 0, suffix: 0 };
const NO_WINDOWS: CardWindows = new Map();

/** The text's length before `update` (its changes are against that text). */
function lengthBefore(update: TextUpdate): number {
  let length = update.length;
  for (const change of update.changes) length -= change.insert.length - (change.to - change.from);
  return length;
}
