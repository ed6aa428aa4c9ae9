/**
 * A store whose read has already started. The worker's entry starts reading its store as soon as it is
 * told which one, then imports the replica host (the engines' modules: Automerge's and Loro's WebAssembly
 * compile as they load); the replica's open then takes the read under way instead of starting it once the
 * modules are there, so the two overlap instead of following one another.
 */
import type { Store, StoredState } from '@converge/replica';

export function readAhead(store: Store, onRead: () => void = () => {}): Store {
  let early: Promise<StoredState> | undefined = store.load();
  early.then(onRead, () => {});
  // Whoever calls `load` gets the failure; until then it must not count as unhandled.
  early.catch(() => {});
  return {
    load() {
      const read = early ?? store.load();
      early = undefined;
      return read;
    },
    append: (record) => store.append(record),
    compact: (snapshot) => store.compact(snapshot),
    flush: () => store.flush(),
    close: () => store.close(),
  };
}

/**
 * Open what needs `store` once `importOpener` has loaded it, reading the store meanwhile: the store's
 * read starts before the import does.
 */
export async function openReadingAhead<T>(
  store: Store,
  importOpener: () => Promise<(store: Store) => Promise<T>>,
  onRead?: () => void,
): Promise<T> {
  const reading = readAhead(store, onRead);
  const open = await importOpener();
  return open(reading);
}
