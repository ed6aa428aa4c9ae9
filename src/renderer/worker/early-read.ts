/**
 * The worker's first module: the replica worker's entry imports it before anything else, so its body runs
 * before the rest of the worker's code is evaluated (the page protocol's schemas, tens of ms under load)
 * and the read of the store the page guessed starts that much sooner (early-store-read.ts).
 */
import { IndexedDbStore } from '@converge/replica/browser';
import { markStart } from '../logic/timing.ts';
import { startEarlyStoreRead } from './early-store-read.ts';
import { storeFromWorkerName } from './store-hint.ts';

export const earlyRead = startEarlyStoreRead(
  storeFromWorkerName((globalThis as { name?: string }).name),
  (name) => new IndexedDbStore(name, { existingOnly: true }),
  () => markStart('converge:store-read'),
);
