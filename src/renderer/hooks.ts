/** React bindings for the models (useSyncExternalStore) and the window's keyboard shortcuts. */
import type { ClientView } from '@converge/checkout';
import { useCallback, useEffect, useRef, useState, useSyncExternalStore } from 'react';
import { replicaHue } from './logic/format.ts';
import type { NetworkSnapshot, NetworkStore } from './logic/network-store.ts';
import {
  COLOUR_STORAGE_KEY,
  cleanName,
  hueColour,
  NAME_STORAGE_KEY,
  validColour,
} from './logic/presence-identity.ts';
import type { CheckoutProxy, ClientSnapshot, ReplicaClient } from './worker/replica-client.ts';

export function useAppSnapshot(model: ReplicaClient): ClientSnapshot {
  return useSyncExternalStore(model.subscribe, model.getSnapshot);
}

export function useNetwork(store: NetworkStore): NetworkSnapshot {
  return useSyncExternalStore(store.subscribe, store.getSnapshot);
}

/**
 * The relay's view of the room alone: the window's frame needs nothing else of the network, and the
 * traffic counters (every second while anyone types) must not render it again (the Network tab reads them).
 */
export function useNetworkRoom(store: NetworkStore): NetworkSnapshot['room'] {
  return useSyncExternalStore(store.subscribe, () => store.getSnapshot().room);
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
export function useCheckoutView(client: CheckoutProxy): ClientView {
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

/**
 * Ctrl/Cmd+Z undoes and Shift+Ctrl/Cmd+Z (or Ctrl+Y) redoes this window's own edits, wherever the focus
 * is (the text field's own undo never runs: it knows nothing of the replica). In Electron the Edit menu
 * owns those keys and hands them over through `menu` instead.
 */
export function useUndoKeys(
  actions: { undo(): void; redo(): void },
  menu: ((listener: (op: 'undo' | 'redo') => void) => void) | undefined,
): void {
  const latest = useRef(actions);
  latest.current = actions;
  useEffect(() => {
    if (menu !== undefined) {
      menu((op) => latest.current[op]());
      return;
    }
    const onKey = (event: KeyboardEvent): void => {
      // The text editor binds these keys itself (and marks the event handled).
      if (event.defaultPrevented) return;
      const mod = event.ctrlKey || event.metaKey;
      if (!mod || event.altKey) return;
      const key = event.key.toLowerCase();
      const op =
        key === 'z'
          ? event.shiftKey
            ? 'redo'
            : 'undo'
          : key === 'y' && !event.shiftKey
            ? 'redo'
            : undefined;
      if (op === undefined) return;
      event.preventDefault();
      latest.current[op]();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [menu]);
}

/** This window's display name and colour, kept in the origin's localStorage (see presence-identity.ts). */
export function usePresenceIdentity(replicaId: string): {
  name: string;
  colour: string;
  setName(name: string): void;
  setColour(colour: string): void;
} {
  const [name, setNameState] = useState(() => cleanName(readStorage(NAME_STORAGE_KEY) ?? ''));
  const [colour, setColourState] = useState(() =>
    validColour(readStorage(COLOUR_STORAGE_KEY), hueColour(replicaHue(replicaId))),
  );
  // Stable setters: the name and colour inputs are memoized on them.
  const setName = useCallback((next: string) => {
    const clean = cleanName(next);
    setNameState(clean);
    writeStorage(NAME_STORAGE_KEY, clean);
  }, []);
  const setColour = useCallback((next: string) => {
    setColourState((colour) => {
      const valid = validColour(next.toLowerCase(), colour);
      writeStorage(COLOUR_STORAGE_KEY, valid);
      return valid;
    });
  }, []);
  return { name, colour, setName, setColour };
}

function readStorage(key: string): string | null {
  try {
    return window.localStorage.getItem(key);
  } catch {
    return null;
  }
}

function writeStorage(key: string, value: string): void {
  try {
    window.localStorage.setItem(key, value);
  } catch {
    // Private mode: the name lasts as long as the window.
  }
}

/**
 * False for the window's first render, true from the task after its first frame: what is not needed to
 * show the text (the inspector's panels) renders then, so the editor's first paint does not wait for it.
 */
export function useAfterFirstPaint(): boolean {
  const [painted, setPainted] = useState(false);
  useEffect(() => {
    const done = (): void => setPainted(true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const frame = requestAnimationFrame(() => {
      timer = setTimeout(done, 0);
    });
    // A hidden page gets no frames: it renders everything anyway, a moment later.
    const fallback = setTimeout(done, HIDDEN_PAGE_RENDER_MS);
    return () => {
      cancelAnimationFrame(frame);
      clearTimeout(fallback);
      if (timer !== undefined) clearTimeout(timer);
    };
  }, []);
  return painted;
}

const HIDDEN_PAGE_RENDER_MS = 250;
