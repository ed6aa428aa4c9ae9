/**
 * The worker's read of the store the page guessed (store-hint.ts), started as the worker's module loads,
 * before the page has sent 'init': a reopened window's IndexedDB read and its checksums then run while the
 * page still evaluates its code, instead of after it. Only reads: the guessed store is opened only if it
 * exists (never created), and whatever 'init' does not name is closed unused. When 'init' names it, the
 * replica opens on it and its first `load` is that read; a read that failed is done again on a store
 * opened as usual, so a failure is the usual one.
 */
import type { Store, StoredState } from '@converge/replica';
import type { StoreSpec } from './protocol.ts';
import { readAhead } from './read-ahead.ts';

export interface EarlyStoreRead {
  /** The store read ahead. */
  readonly name: string;
  /**
   * The store to open for `spec` when it is the one read ahead (undefined otherwise: the read-ahead is
   * then closed once its read settles). `open` opens `spec` as usual, for when the early read failed.
   * Once only: a later call gets undefined.
   */
  take(spec: StoreSpec, open: () => Store): Store | undefined;
}

/**
 * Start reading the store `name` (none: nothing to do). `openExisting` opens it without creating it;
 * `onRead` is told when a read succeeded.
 */
export function startEarlyStoreRead(
  name: string | undefined,
  openExisting: (name: string) => Store,
  onRead: () => void = () => {},
): EarlyStoreRead | undefined {
  if (name === undefined) return undefined;
  let store: Store;
  try {
    store = openExisting(name);
  } catch {
    return undefined;
  }
  const reading = readAhead(store, onRead);
  let taken = false;
  return {
    name,
    take(spec, open) {
      if (taken) return undefined;
      taken = true;
      if (spec.kind !== 'indexeddb' || spec.name !== name) {
        const close = (): Promise<void> => store.close().catch(() => {});
        void reading.load().then(close, close);
        return undefined;
      }
      return withFallback(reading, open, onRead);
    },
  };
}

/** `early`, whose first load is under way; if that load fails, a store from `open` instead. */
function withFallback(early: Store, open: () => Store, onRead: () => void): Store {
  let chosen = early;
  let first = true;
  const load = async (): Promise<StoredState> => {
    if (!first) return chosen.load();
    first = false;
    try {
      return await early.load();
    } catch {
      // Not there (a new replica's store is created by the usual open) or unreadable: the usual open says.
      await early.close().catch(() => {});
      chosen = open();
      const state = await chosen.load();
      onRead();
      return state;
    }
  };
  return {
    load,
    append: (record) => chosen.append(record),
    compact: (snapshot) => chosen.compact(snapshot),
    flush: () => chosen.flush(),
    close: () => chosen.close(),
  };
}
