/**
 * The one place the renderer learns how an engine's text changed: the editor and the Compare panel
 * subscribe here, never to whole views. Each change arrives as a list of replacements against the text
 * the subscriber was last told about, so a keystroke costs the editor a keystroke's work.
 *
 * The runtime reports each engine's text changes as positional deltas (ReplicaEvent 'text'); they are
 * forwarded as they are. `textReplacements` is kept for the editor's repair path (a refused edit), where
 * the whole texts are compared once.
 */
import type { Text } from '@codemirror/state';
import type { EngineChange, EngineName, Replica } from '@converge/replica';
import diff from 'fast-diff';

/** Replace [from, to) of the previous text by `insert` (positions in the previous text, ascending, disjoint). */
export interface TextReplacement {
  readonly from: number;
  readonly to: number;
  readonly insert: string;
  /**
   * `insert` as a CodeMirror Text, when the feed built one (the page's mirrors do): the editor takes it
   * as it is instead of splitting the string into lines again (a new window's first 1 MB text, a peer's
   * 1 MB paste).
   */
  readonly insertDoc?: Text;
}

export interface TextUpdate {
  readonly engine: EngineName;
  readonly field: string;
  readonly origin: EngineChange['origin'];
  /** Ascending and disjoint, each against the text before this update. */
  readonly changes: readonly TextReplacement[];
  /** The text's length afterwards (lets a subscriber check it holds the same text). */
  readonly length: number;
  /** When the change carried out this window's own editor edit `seq` (the editor already shows it). */
  readonly seq?: number;
}

export interface TextFeed {
  /** The engine's text of `field` now. */
  text(engine: EngineName, field: string): string;
  /** Code units [from, to) of it (without building the whole text). */
  slice(engine: EngineName, field: string, from: number, to: number): string;
  /** Its length (without building the text). */
  length(engine: EngineName, field: string): number;
  /**
   * The text as an editor document, when the feed keeps one (the page's mirrors): an editor starts from
   * it as it is, without a whole string to split into lines again.
   */
  doc?(engine: EngineName, field: string): Text;
  /** Called synchronously after every change of the engine's text of `field`. Returns an unsubscribe function. */
  subscribe(engine: EngineName, field: string, listener: (update: TextUpdate) => void): () => void;
  close(): void;
}

/** Middles up to this many code units (on either side) are split by a character diff; longer ones are replaced whole. */
const DIFF_MIDDLE_LIMIT = 20_000;

/**
 * The feed over a replica, for its text fields: the runtime's 'text' events forwarded as they come (each
 * delta against the text the previous one left, so each becomes one update), O(edit) per change.
 */
export function replicaTextFeed(replica: Replica): TextFeed {
  interface Watch {
    length: number;
    readonly listeners: Set<(update: TextUpdate) => void>;
  }
  const watches = new Map<string, Watch>();
  const keyOf = (engine: EngineName, field: string): string => `${engine}\u0000${field}`;
  const stop = replica.subscribe((event) => {
    if (event.type !== 'text') return;
    const watch = watches.get(keyOf(event.engine, event.field));
    if (watch === undefined) return;
    for (const delta of event.deltas) {
      watch.length += delta.text.length - delta.del;
      const update: TextUpdate = {
        engine: event.engine,
        field: event.field,
        origin: event.origin,
        changes: [{ from: delta.pos, to: delta.pos + delta.del, insert: delta.text }],
        length: watch.length,
      };
      for (const listener of [...watch.listeners]) listener(update);
    }
  });
  return {
    text: (engine, field) => replica.textSlice(engine, field),
    slice: (engine, field, from, to) => replica.textSlice(engine, field, from, to),
    length: (engine, field) => replica.textLength(engine, field),
    subscribe(engine, field, listener) {
      const key = keyOf(engine, field);
      let watch = watches.get(key);
      if (watch === undefined) {
        watch = { length: replica.textLength(engine, field), listeners: new Set() };
        watches.set(key, watch);
      }
      const current = watch;
      current.listeners.add(listener);
      return () => {
        current.listeners.delete(listener);
        if (current.listeners.size === 0) watches.delete(key);
      };
    },
    close() {
      stop();
      watches.clear();
    },
  };
}

/**
 * Replacements that turn `before` into `after`: one for the span between their common prefix and suffix,
 * split into the runs a character diff finds when that span is small. Never splits a surrogate pair.
 */
export function textReplacements(before: string, after: string): TextReplacement[] {
  if (before === after) return [];
  const { prefix, suffix } = commonEnds(before, after);
  const oldMiddle = before.slice(prefix, before.length - suffix);
  const newMiddle = after.slice(prefix, after.length - suffix);
  if (
    oldMiddle.length === 0 ||
    newMiddle.length === 0 ||
    Math.max(oldMiddle.length, newMiddle.length) > DIFF_MIDDLE_LIMIT
  )
    return [{ from: prefix, to: before.length - suffix, insert: newMiddle }];
  const changes: TextReplacement[] = [];
  let at = prefix;
  for (const [op, chunk] of diff(oldMiddle, newMiddle)) {
    if (op === diff.EQUAL) {
      at += chunk.length;
    } else if (op === diff.DELETE) {
      const last = changes[changes.length - 1];
      if (last !== undefined && last.to === at)
        changes[changes.length - 1] = { ...last, to: at + chunk.length };
      else changes.push({ from: at, to: at + chunk.length, insert: '' });
      at += chunk.length;
    } else {
      const last = changes[changes.length - 1];
      if (last !== undefined && last.to === at)
        changes[changes.length - 1] = { ...last, insert: last.insert + chunk };
      else changes.push({ from: at, to: at, insert: chunk });
    }
  }
  return changes;
}

/** Lengths of the common prefix and (non-overlapping) suffix, kept off the middle of a surrogate pair. */
export function commonEnds(a: string, b: string): { prefix: number; suffix: number } {
  const shorter = Math.min(a.length, b.length);
  let prefix = 0;
  while (prefix < shorter && a.charCodeAt(prefix) === b.charCodeAt(prefix)) prefix++;
  if (prefix > 0 && isHighSurrogate(a.charCodeAt(prefix - 1))) prefix--;
  let suffix = 0;
  const maxSuffix = shorter - prefix;
  while (suffix < maxSuffix && a.charCodeAt(a.length - 1 - suffix) === b.charCodeAt(b.length - 1 - suffix))
    suffix++;
  if (suffix > 0 && isLowSurrogate(a.charCodeAt(a.length - suffix))) suffix--;
  return { prefix, suffix };
}

export function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

export function isLowSurrogate(code: number): boolean {
  return code >= 0xdc00 && code <= 0xdfff;
}
