/**
 * The page's copy of every engine's texts while the replica runs in a worker: one rope per engine and
 * text field (CodeMirror's `Text`, so a delta costs O(edit + log n)), kept current by the worker's text
 * deltas, and read through the `TextFeed` the editor and the Compare panel follow. The whole string is
 * built only when someone reads it, and kept until the next change.
 */
import { Text } from '@codemirror/state';
import type { EngineChange, EngineName } from '@converge/replica';
import type { TextFeed, TextReplacement, TextUpdate } from './text-feed.ts';

export interface MirrorDelta {
  readonly pos: number;
  readonly del: number;
  readonly text: string;
}

interface Mirror {
  doc: Text;
  string: string | undefined;
  readonly listeners: Set<(update: TextUpdate) => void>;
}

export class TextMirrors implements TextFeed {
  private readonly mirrors = new Map<string, Mirror>();

  constructor(texts: Readonly<Record<EngineName, Readonly<Record<string, string>>>>) {
    for (const [engine, fields] of Object.entries(texts))
      for (const [field, text] of Object.entries(fields))
        this.mirrors.set(keyOf(engine, field), { doc: textOf(text), string: text, listeners: new Set() });
  }

  has(engine: EngineName, field: string): boolean {
    return this.mirrors.has(keyOf(engine, field));
  }

  /**
   * The worker reports the engine's text changed. Throws RangeError when a delta does not fit the
   * mirror (the caller re-reads the text); listeners hear each delta as it is applied.
   */
  apply(
    engine: EngineName,
    field: string,
    origin: EngineChange['origin'],
    deltas: readonly MirrorDelta[],
    seq?: number,
  ): void {
    const mirror = this.mirrorOf(engine, field);
    for (const delta of deltas) {
      if (delta.pos + delta.del > mirror.doc.length)
        throw new RangeError(`a change of ${engine}'s ${field} beyond its end (${mirror.doc.length})`);
      const inserted = textOf(delta.text);
      mirror.doc = mirror.doc.replace(delta.pos, delta.pos + delta.del, inserted);
      mirror.string = undefined;
      const changes: TextReplacement[] = [
        { from: delta.pos, to: delta.pos + delta.del, insert: delta.text, insertDoc: inserted },
      ];
      const update: TextUpdate = {
        engine,
        field,
        origin,
        changes,
        length: mirror.doc.length,
        ...(seq === undefined ? {} : { seq }),
      };
      for (const listener of [...mirror.listeners]) listener(update);
    }
  }

  /** Replace the engine's whole text (re-read after a surprise); listeners hear it as one replacement. */
  reset(engine: EngineName, field: string, text: string): void {
    const mirror = this.mirrorOf(engine, field);
    const before = mirror.doc.length;
    mirror.doc = textOf(text);
    mirror.string = text;
    const update: TextUpdate = {
      engine,
      field,
      origin: 'remote',
      changes: [{ from: 0, to: before, insert: text }],
      length: text.length,
    };
    for (const listener of [...mirror.listeners]) listener(update);
  }

  text(engine: EngineName, field: string): string {
    const mirror = this.mirrors.get(keyOf(engine, field));
    if (mirror === undefined) return '';
    mirror.string ??= mirror.doc.toString();
    return mirror.string;
  }

  doc(engine: EngineName, field: string): Text {
    return this.mirrors.get(keyOf(engine, field))?.doc ?? Text.empty;
  }

  slice(engine: EngineName, field: string, from: number, to: number): string {
    const mirror = this.mirrors.get(keyOf(engine, field));
    if (mirror === undefined) return '';
    return mirror.string?.slice(from, to) ?? mirror.doc.sliceString(from, to);
  }

  length(engine: EngineName, field: string): number {
    return this.mirrors.get(keyOf(engine, field))?.doc.length ?? 0;
  }

  subscribe(engine: EngineName, field: string, listener: (update: TextUpdate) => void): () => void {
    const mirror = this.mirrorOf(engine, field);
    mirror.listeners.add(listener);
    return () => mirror.listeners.delete(listener);
  }

  close(): void {
    for (const mirror of this.mirrors.values()) mirror.listeners.clear();
  }

  private mirrorOf(engine: EngineName, field: string): Mirror {
    const key = keyOf(engine, field);
    let mirror = this.mirrors.get(key);
    if (mirror === undefined) {
      mirror = { doc: Text.empty, string: '', listeners: new Set() };
      this.mirrors.set(key, mirror);
    }
    return mirror;
  }
}

function keyOf(engine: string, field: string): string {
  return `${engine}\u0000${field}`;
}

/** Only "\n" breaks a line, as in the engines and the editor. */
function textOf(text: string): Text {
  return Text.of(text.split('\n'));
}
