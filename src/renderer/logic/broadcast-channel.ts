/**
 * A BroadcastChannel as the windows of one origin use it: post a message, subscribe to the others'
 * (a window never hears its own). Undefined where the platform has none.
 */
export interface WindowChannel<M> {
  post(message: M): void;
  /** Messages from the other windows; returns an unsubscribe function. */
  subscribe(listener: (message: unknown) => void): () => void;
  close(): void;
}

export function openWindowChannel<M>(name: string): WindowChannel<M> | undefined {
  if (typeof BroadcastChannel !== 'function') return undefined;
  const channel = new BroadcastChannel(name);
  const listeners = new Set<(message: unknown) => void>();
  channel.onmessage = (event: MessageEvent) => {
    for (const listener of listeners) listener(event.data);
  };
  return {
    post: (message) => channel.postMessage(message),
    subscribe: (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close: () => channel.close(),
  };
}
