/**
 * The worker's first module: the replica worker's entry imports it before anything else, so its body runs
 * before the rest of the worker's code is evaluated (the page protocol's schemas, tens of ms under load)
 * and the read of the store the page guessed starts that much sooner (early-store-read.ts); it also says
 * 'listening' at once, holding the page's messages for the main part (early-listen.ts).
 */
import { indexedDbLogOf, LogStore } from '@converge/replica/browser';
import { listenEarly, type WorkerScopeLike } from './early-listen.ts';
import { openingAhead, startEarlyStoreRead } from './early-store-read.ts';
import { storeFromWorkerName } from './store-hint.ts';

export const earlyRead = startEarlyStoreRead(
  storeFromWorkerName((globalThis as { name?: string }).name),
  (name) => {
    const log = indexedDbLogOf(name, { existingOnly: true });
    return { store: new LogStore(openingAhead(log)), isCurrent: async () => !(await log.writtenSinceOpen()) };
  },
);

/** The main part's handler takes the page's messages from here (early-listen.ts). */
export const takeOverMessages = listenEarly(globalThis as unknown as WorkerScopeLike);
