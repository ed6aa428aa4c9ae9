/**
 * Delivers EngineChanges to subscribers and remembers, per change, which sync session caused it and
 * the engine-native bytes behind it. Sessions use the first to avoid echoing an update back to the
 * peer it came from, and the second to forward it without re-decoding the stored form.
 */
import type { EngineChange, SyncSession } from '../../engine.ts';

export interface ChangeDetails<Native> {
  /** The session whose peer sent this change (only for origin 'remote'). */
  readonly source?: SyncSession;
  readonly native: Native;
}

export class ChangeFeed<Native> {
  /**
   * Replaced, never changed in place, on (un)subscribe: an emit walks the array it started with, so a
   * listener (un)subscribing meanwhile takes effect from the next change, without a copy per change.
   */
  private listeners: readonly ((change: EngineChange) => void)[] = [];
  private readonly details = new WeakMap<EngineChange, ChangeDetails<Native>>();

  subscribe(listener: (change: EngineChange) => void): () => void {
    // Wrap so the same function subscribed twice gets two independent subscriptions.
    const entry = (change: EngineChange): void => listener(change);
    this.listeners = [...this.listeners, entry];
    return () => {
      this.listeners = this.listeners.filter((l) => l !== entry);
    };
  }

  /**
   * Call every listener, even if one throws; the first error is rethrown afterwards so a faulty
   * subscriber cannot starve the others (e.g. the store) of a change.
   */
  emit(change: EngineChange, native: Native, source?: SyncSession): void {
    this.details.set(change, source === undefined ? { native } : { source, native });
    let failure: { error: unknown } | undefined;
    const listeners = this.listeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        (listeners[i] as (change: EngineChange) => void)(change);
      } catch (error) {
        failure ??= { error };
      }
    }
    if (failure) throw failure.error;
  }

  /** Drop every subscriber (the engine closed). */
  clear(): void {
    this.listeners = [];
  }

  /** The session whose peer sent a change this feed emitted, if any. */
  sourceOf(change: EngineChange): SyncSession | undefined {
    return this.details.get(change)?.source;
  }

  /** Details of a change this feed emitted, or undefined for a foreign change object. */
  detailsOf(change: EngineChange): ChangeDetails<Native> | undefined {
    return this.details.get(change);
  }
}
