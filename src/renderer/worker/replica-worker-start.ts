/**
 * The replica worker's start: the page's first script (start.ts) creates the window's worker before the
 * app's bundle loads, so the worker's own module loads, and later its store read and host import run,
 * while the page is still loading and evaluating the app. Whatever the worker says before the app's
 * client (replica-client.ts) listens — its 'listening', or an error — is kept and handed to the client
 * when it sets its handlers: a worker's messages to a page with no handler are otherwise lost.
 */
import type { WorkerLike } from './replica-client.ts';
import { workerName } from './store-hint.ts';

/** How the worker is created (a real module Worker in the page, a fake in tests). */
export type CreateWorker = () => WorkerLike;

type Held =
  | { readonly kind: 'message'; readonly event: MessageEvent }
  | { readonly kind: 'error'; readonly event: ErrorEvent };

/**
 * Create the worker now and hold its events until handlers are set. The returned worker forwards every
 * later event to the handler set at the time; the held ones go, in order, to the first handler set for
 * their kind (an error held while only `onmessage` is set waits for `onerror`).
 */
export function startReplicaWorker(create: CreateWorker): WorkerLike {
  const worker = create();
  const held: Held[] = [];
  let onmessage: WorkerLike['onmessage'] = null;
  let onerror: WorkerLike['onerror'] = null;
  const deliver = (): void => {
    // Re-read the handlers for each event: a handler may replace them (the client does on 'ready').
    for (let i = 0; i < held.length; ) {
      const next = held[i] as Held;
      if (next.kind === 'message' && onmessage !== null) {
        held.splice(i, 1);
        onmessage(next.event);
      } else if (next.kind === 'error' && onerror !== null) {
        held.splice(i, 1);
        onerror(next.event);
      } else i++;
    }
  };
  worker.onmessage = (event) => {
    if (onmessage === null || held.length > 0) {
      held.push({ kind: 'message', event });
      deliver();
    } else onmessage(event);
  };
  worker.onerror = (event) => {
    if (onerror === null || held.length > 0) {
      held.push({ kind: 'error', event });
      deliver();
    } else onerror(event);
  };
  return {
    postMessage: (message, transfer) => worker.postMessage(message, transfer ?? []),
    terminate: () => worker.terminate(),
    get onmessage() {
      return onmessage;
    },
    set onmessage(handler) {
      onmessage = handler;
      deliver();
    },
    get onerror() {
      return onerror;
    },
    set onerror(handler) {
      onerror = handler;
      deliver();
    },
  };
}

/**
 * The window's replica worker: a module worker built from replica-worker.ts. `storeName`, the store the
 * page will likely open (store-hint.ts), goes in the worker's name: the worker starts reading it as it
 * loads, before any message could reach it.
 */
export function createReplicaWorker(storeName?: string): WorkerLike {
  return new Worker(new URL('./replica-worker.ts', import.meta.url), {
    type: 'module',
    name: workerName(storeName),
  });
}
