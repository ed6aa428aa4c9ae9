/**
 * The worker's read of the store the page guessed (store-hint.ts), started as the worker's module loads,
 * before the page has sent 'init': a reopened window's IndexedDB read then runs while the worker's and the
 * page's code still load, instead of after the page's 'init'. Only the read (the byte log's open: the I/O)
 * starts early; its records are decoded and checksummed when the replica loads them after 'init', so that
 * CPU work does not hold up the worker's own start (its 'listening', which the page's 'init' waits for).
 * Only reads: the guessed store is opened only if it exists (never created), and whatever 'init' does not
 * name is closed unused. When 'init' names it (the page has claimed the replica by then: no other tab
 * writes it), the replica opens on it once a small read has checked nothing was written since; a read
 * that failed, or that was overtaken, is done again on a store opened as usual.
 */
import type { Store, StoredState } from '@converge/replica';
import type { ByteLog, ByteLogContents } from '@converge/replica/browser';
import type { StoreSpec } from './protocol.ts';

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

/** A store whose read has started, and how to tell that read is still what the store holds. */
export interface ReadingStore {
  readonly store: Store;
  /**
   * After the store's load: false when it was written since (by the previous page's worker, still
   * finishing when a reloaded page's read began): the read is then done again.
   */
  isCurrent(): Promise<boolean>;
}

/**
 * Start reading the store `name` (none: nothing to do). `openExisting` gives the store, its read already
 * started (`openingAhead`), without creating it.
 */
export function startEarlyStoreRead(
  name: string | undefined,
  openExisting: (name: string) => ReadingStore,
): EarlyStoreRead | undefined {
  if (name === undefined) return undefined;
  let reading: ReadingStore;
  try {
    reading = openExisting(name);
  } catch {
    return undefined;
  }
  const { store } = reading;
  let taken = false;
  return {
    name,
    take(spec, open) {
      if (taken) return undefined;
      taken = true;
      if (spec.kind !== 'indexeddb' || spec.name !== name) {
        void store.close().catch(() => {});
        return undefined;
      }
      return withFallback(reading, open);
    },
  };
}

/**
 * `log` with its `open` started now: the first `open` call gets that one. Closing waits for it to settle.
 */
export function openingAhead(log: ByteLog): ByteLog {
  let early: Promise<ByteLogContents> | undefined = log.open();
  const settled = early.then(
    () => {},
    () => {},
  );
  return {
    open() {
      const read = early ?? log.open();
      early = undefined;
      return read;
    },
    append: (record) => log.append(record),
    compact: (snapshot) => log.compact(snapshot),
    ...(log.flush === undefined ? {} : { flush: () => log.flush?.() }),
    ...(log.takesViews === undefined ? {} : { takesViews: log.takesViews }),
    close: async () => {
      await settled;
      await log.close();
    },
  };
}

/**
 * The early store, whose read is under way; if its load fails, or the store was written since that read,
 * a store from `open` instead (read again).
 */
function withFallback(reading: ReadingStore, open: () => Store): Store {
  const early = reading.store;
  let chosen = early;
  let first = true;
  const load = async (): Promise<StoredState> => {
    if (!first) return chosen.load();
    first = false;
    try {
      const state = await early.load();
      if (await reading.isCurrent()) return state;
    } catch {
      // Not there (a new replica's store is created by the usual open) or unreadable: the usual open says.
    }
    await early.close().catch(() => {});
    chosen = open();
    return chosen.load();
  };
  return {
    load,
    append: (record) => chosen.append(record),
    compact: (snapshot) => chosen.compact(snapshot),
    flush: () => chosen.flush(),
    close: () => chosen.close(),
  };
}
