/**
 * The store a window will most likely open, told to its replica worker as the worker is created (in the
 * worker's name), so the worker starts reading it as its module loads instead of once the page's session
 * code has run and sent 'init' (bench/README.md, "Reopen and a new window at 1 MB, sixth pass"). Only a
 * guess from the page's address: 'init' still names the store, and a read of any other store is dropped.
 * The guess needs no config: web mode's room (from /config.json) only matters when `?room=` names it, and
 * then the guess names a store that does not exist, which the worker reads without creating. Tiny and
 * free of imports: the page's first script (start.ts) and the worker's first module use it.
 */

const PREFIX = 'replica';
const HINT = `${PREFIX} store=`;

/** The IndexedDB store of a replica in a room: web mode's room keeps the name stores always had. */
export function storeNameFor(replicaId: string, room: string, defaultRoom: string): string {
  return room === defaultRoom ? replicaId : `${replicaId}@${room}`;
}

/**
 * The store a web-mode page at `href` will likely open: its `?replica=` in its `?room=` (web mode's own
 * room when there is none). Undefined when the page will make a new replica (no `?replica=`: nothing to
 * read) or keeps no IndexedDB store (Electron's preload).
 */
export function guessStoreName(href: string, hasPreload: boolean): string | undefined {
  if (hasPreload) return undefined;
  const params = new URL(href).searchParams;
  const replica = params.get('replica');
  if (replica === null || replica === '') return undefined;
  // Without `?room=` the page opens web mode's room, which `storeNameFor` maps to the bare replica id.
  return storeNameFor(replica, params.get('room') ?? '', '');
}

/** The worker's name: "replica", with the store to read ahead when there is a guess. */
export function workerName(storeName: string | undefined): string {
  return storeName === undefined ? PREFIX : `${HINT}${encodeURIComponent(storeName)}`;
}

/** The store named by `workerName`, if any. */
export function storeFromWorkerName(name: string | undefined): string | undefined {
  if (name === undefined || !name.startsWith(HINT)) return undefined;
  try {
    const store = decodeURIComponent(name.slice(HINT.length));
    return store === '' ? undefined : store;
  } catch {
    return undefined;
  }
}
