/**
 * The worker's entry says 'listening' as soon as it runs and holds what the page sends until the worker's
 * main part (replica-worker-main.ts, a dynamic import) has loaded and takes over: the page then sends its
 * 'init' while that code still loads, instead of a round trip through the page's busy thread after it.
 * A worker drops messages that arrive while it has no handler, hence the holding.
 */

export interface MessageEventLike {
  readonly data: unknown;
  readonly ports: readonly MessagePort[];
}

export interface WorkerScopeLike {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEventLike) => void) | null;
}

/** Hold `scope`'s messages from now on and tell the page the worker listens. */
export function listenEarly(scope: WorkerScopeLike): (handler: (event: MessageEventLike) => void) => void {
  const held: MessageEventLike[] = [];
  scope.onmessage = (event) => held.push(event);
  scope.postMessage({ type: 'listening' });
  /** The main part's handler: it gets the held messages, in order, then every later one. */
  return (handler) => {
    scope.onmessage = handler;
    for (const event of held.splice(0)) handler(event);
  };
}
