/**
 * The Compare panel's texts, kept up to date from the text feed's per-engine changes: a change marks
 * that engine's card (every card, when it is the primary's text) stale, and one flush per `schedule`
 * tick (an animation frame in the app) recomputes only the stale cards. Nothing is compared while no
 * one subscribes (the panel is not shown).
 */
import type { EngineName } from '@converge/replica';
import type { TextFeed } from './text-feed.ts';
import { type TextWindow, textWindow } from './text-window.ts';
import { timed } from './timing.ts';

/** Per field name, per engine: what its card shows. */
export type TextComparisonSnapshot = ReadonlyMap<string, ReadonlyMap<EngineName, TextWindow>>;

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
  private readonly listeners = new Set<() => void>();
  private readonly stops: (() => void)[] = [];
  private snapshot: Map<string, Map<EngineName, TextWindow>> = new Map();
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
      for (const engine of this.engines)
        this.stops.push(this.feed.subscribe(engine, field, () => this.changed(field, engine)));
    }
    this.flush();
  }

  setPrimary(primary: EngineName): void {
    if (primary === this.primary) return;
    this.primary = primary;
    for (const field of this.fields) this.changed(field, primary);
  }

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  getSnapshot = (): TextComparisonSnapshot => this.snapshot;

  close(): void {
    this.closed = true;
    for (const stop of this.stops.splice(0)) stop();
    this.listeners.clear();
  }

  private changed(field: string, engine: EngineName): void {
    const stale = this.stale.get(field);
    if (stale === undefined) return;
    if (engine === this.primary) for (const name of this.engines) stale.add(name);
    else stale.add(engine);
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
    for (const [field, stale] of this.stale) {
      if (stale.size === 0) continue;
      const cards = new Map(next.get(field));
      const reference = this.feed.text(this.primary, field);
      for (const engine of stale) {
        const text = engine === this.primary ? reference : this.feed.text(engine, field);
        cards.set(engine, textWindow(reference, text));
      }
      stale.clear();
      next.set(field, cards);
    }
    this.snapshot = next;
  }
}
