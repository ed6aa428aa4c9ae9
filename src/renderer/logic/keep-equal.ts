/**
 * Structural sharing for the worker's snapshots. A snapshot crosses from the worker as a structured
 * clone: every object in it is new, even where nothing changed (an engine's cart while a peer types), so
 * every memoized panel rendered again and React rewrote its inputs' attributes. `keepEqual` returns the
 * previous object wherever the new one holds equal data, so a panel's props keep their identity until
 * their content changes. O(size of the snapshot), which carries no texts.
 */

/**
 * `next`, with every part that equals the same part of `previous` replaced by `previous`'s (`previous`
 * itself when all of it is equal). Plain objects, arrays and Maps are compared by content; anything else
 * (class instances, Sets, typed arrays) by identity. An accessor property of a previous object is the
 * page's own (the views' texts, read from the text mirrors): it is not compared, and kept.
 */
export function keepEqual<T>(previous: unknown, next: T): T {
  if (Object.is(previous, next)) return next;
  if (!isObject(previous) || !isObject(next)) return next;
  if (Array.isArray(next)) return Array.isArray(previous) ? (keepArray(previous, next) as T) : next;
  if (next instanceof Map) return previous instanceof Map ? (keepMap(previous, next) as T) : next;
  if (!isPlain(previous) || !isPlain(next)) return next;
  return keepObject(previous, next) as T;
}

function keepArray(previous: readonly unknown[], next: readonly unknown[]): readonly unknown[] {
  // Nothing is allocated while every item so far is kept (the common case: nothing changed).
  let out: unknown[] | undefined = previous.length === next.length ? undefined : [];
  for (let index = 0; index < next.length; index++) {
    const kept = keepEqual(previous[index], next[index]);
    if (out === undefined && kept !== previous[index]) out = previous.slice(0, index);
    if (out !== undefined) out[index] = kept;
  }
  return out ?? previous;
}

function keepMap(previous: ReadonlyMap<unknown, unknown>, next: ReadonlyMap<unknown, unknown>): unknown {
  let same = previous.size === next.size;
  const out = new Map<unknown, unknown>();
  for (const [key, value] of next) {
    const had = previous.has(key);
    const old = previous.get(key);
    const kept = had ? keepEqual(old, value) : value;
    if (!had || kept !== old) same = false;
    out.set(key, kept);
  }
  return same ? previous : out;
}

function keepObject(previous: object, next: object): object {
  const before = previous as Record<string, unknown>;
  const after = next as Record<string, unknown>;
  const keys = Object.keys(after);
  // Allocated at the first difference (with the keys before it, all kept).
  let out: Record<string, unknown> | undefined = keys.length === Object.keys(before).length ? undefined : {};
  for (let index = 0; index < keys.length; index++) {
    const key = keys[index] as string;
    const descriptor = Object.getOwnPropertyDescriptor(before, key);
    let kept: unknown;
    let same: boolean;
    if (descriptor === undefined) {
      kept = after[key];
      same = false;
    } else if (descriptor.get !== undefined) {
      // The page's derived value (a text from the mirrors): the wire carries a placeholder for it.
      kept = after[key];
      same = true;
    } else {
      kept = keepEqual(descriptor.value, after[key]);
      same = kept === descriptor.value;
    }
    if (out === undefined && !same) {
      out = {};
      // Each earlier key was kept: the previous value, or the wire's placeholder under an accessor.
      for (const earlier of keys.slice(0, index)) {
        const held = Object.getOwnPropertyDescriptor(before, earlier);
        out[earlier] = held?.get === undefined ? held?.value : after[earlier];
      }
    }
    if (out !== undefined) out[key] = kept;
  }
  return out ?? previous;
}

function isObject(value: unknown): value is object {
  return typeof value === 'object' && value !== null;
}

function isPlain(value: object): boolean {
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}
