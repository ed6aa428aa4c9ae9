/** React bindings for the models (useSyncExternalStore) and the window's keyboard shortcuts. */
import type { CheckoutClient, ClientView } from '@converge/checkout';
import { useEffect, useRef, useSyncExternalStore } from 'react';
import type { AppModel, AppSnapshot } from './logic/app-model.ts';
import type { NetworkSnapshot, NetworkStore } from './logic/network-store.ts';

export function useAppSnapshot(model: AppModel): AppSnapshot {
  return useSyncExternalStore(model.subscribe, model.getSnapshot);
}

export function useNetwork(store: NetworkStore): NetworkSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/**
 * Alt+<key> shortcuts, keyed by letter or digit ("o", "1"). Matched on the physical key
 * (`KeyboardEvent.code`), because on macOS Alt changes the character `key` reports.
 */
export function useShortcuts(shortcuts: Readonly<Record<string, () => void>>): void {
  const latest = useRef(shortcuts);
  latest.current = shortcuts;
  useEffect(() => {
    const onKey = (event: KeyboardEvent): void => {
      if (!event.altKey || event.ctrlKey || event.metaKey) return;
      const action = latest.current[keyOf(event.code)];
      if (action === undefined) return;
      event.preventDefault();
      action();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/** "KeyO" → "o", "Digit1" → "1", anything else unchanged. */
function keyOf(code: string): string {
  if (code.startsWith('Key')) return code.slice(3).toLowerCase();
  if (code.startsWith('Digit')) return code.slice(5);
  return code;
}

/** The checkout client's view, recomputed only when the client says something changed. */
export function useCheckoutView(client: CheckoutClient): ClientView {
  const cache = useRef<ClientView | undefined>(undefined);
  return useSyncExternalStore(
    (listener) =>
      client.subscribe(() => {
        cache.current = undefined;
        listener();
      }),
    () => {
      cache.current ??= client.view();
      return cache.current;
    },
  );
}
