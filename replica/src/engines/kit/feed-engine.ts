/**
 * What every engine does alike around its change feed and its lifecycle: subscriptions, the session a
 * change came from, its texts kept as mirrors (text-mirror.ts) from the deltas it reports, the digest of
 * its view, and `close`, which drops every subscriber and lets the engine release what it holds.
 * Engines extend it and add their document and protocol.
 */

import type { EngineChange, SyncSession } from '../../engine.ts';
import { EngineClosedError } from '../../engine-closed-error.ts';
import type { EngineName } from '../../engine-name.ts';
import { checkTextEditIn, type TextEdit, type WorkspaceSchema } from '../../schema.ts';
import { replacementDelta, type TextChange, type TextDelta } from '../../text-delta.ts';
import { TextMirror } from '../../text-mirror.ts';
import type { WorkspaceView } from '../../workspace.ts';
import { ChangeFeed } from './change-feed.ts';
import { fnv1a64Hex } from './fnv1a64.ts';
import { canonicalJson } from './view-digest.ts';

const utf8 = new TextEncoder();

export abstract class FeedEngine<Native> {
  abstract readonly name: EngineName;
  /** Changes of this engine, each with its native form and the session whose peer sent it. */
  protected readonly feed = new ChangeFeed<Native>();
  /** Replaced, never changed in place (as ChangeFeed's): no copy of it per change. */
  private textListeners: readonly ((change: TextChange) => void)[] = [];
  /** Each text field's content as this engine's deltas made it. */
  private readonly mirrors = new Map<string, TextMirror>();
  private isClosed = false;

  protected abstract readonly schema: WorkspaceSchema;

  abstract view(): WorkspaceView;

  /**
   * The view with every text field empty: everything the digest takes besides the texts' hashes. Engines
   * read it without materializing their texts.
   */
  abstract viewWithoutText(): WorkspaceView;

  /** A text field's content read whole from the document (only to repair a mirror: see `emitText`). */
  protected abstract readText(field: string): string;

  /** Set once `close` ran. */
  get closed(): boolean {
    return this.isClosed;
  }

  onChange(listener: (change: EngineChange) => void): () => void {
    this.assertOpen();
    return this.feed.subscribe(listener);
  }

  onTextChange(listener: (change: TextChange) => void): () => void {
    this.assertOpen();
    const entry = (change: TextChange): void => listener(change);
    this.textListeners = [...this.textListeners, entry];
    return () => {
      this.textListeners = this.textListeners.filter((l) => l !== entry);
    };
  }

  textLength(field: string): number {
    this.assertOpen();
    return this.mirror(field).length;
  }

  textSlice(field: string, from = 0, to?: number): string {
    this.assertOpen();
    return this.mirror(field).slice(from, to);
  }

  textCodeUnit(field: string, index: number): number {
    this.assertOpen();
    return this.mirror(field).charCodeAt(index);
  }

  textHash(field: string): string {
    this.assertOpen();
    return this.mirror(field).hash();
  }

  /** Throws IntentError unless a text edit fits the text now (checked against the mirror: no read of the text). */
  protected checkText(edit: TextEdit): void {
    const mirror = this.mirror(edit.field);
    checkTextEditIn(mirror.length, (i) => mirror.charCodeAt(i), edit);
  }

  /** The session whose peer sent a change this engine emitted, if any (so it is not echoed back). */
  sourceOf(change: EngineChange): SyncSession | undefined {
    return this.feed.sourceOf(change);
  }

  /** The view without its texts, canonical, with each text field's hash in its place; FNV-1a 64 of it. */
  digest(): string {
    const view = { ...(this.viewWithoutText() as unknown as Record<string, unknown>) };
    for (const field of this.schema.fieldsOf('text')) view[field.name] = `#${this.textHash(field.name)}`;
    return fnv1a64Hex(utf8.encode(canonicalJson(view)));
  }

  /** Release everything the engine holds; afterwards every use throws EngineClosedError. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.feed.clear();
    this.textListeners = [];
    this.mirrors.clear();
    this.release();
  }

  /**
   * A text field changed by `deltas`: update its mirror and tell the listeners. Deltas that do not fit the
   * mirror would be an engine bug; the mirror is then rebuilt from the document (one whole replacement),
   * so listeners never hold a text the engine does not.
   */
  protected emitText(field: string, origin: EngineChange['origin'], deltas: readonly TextDelta[]): void {
    if (deltas.length === 0) return;
    const mirror = this.mirror(field);
    let told = deltas;
    try {
      mirror.apply(deltas);
    } catch {
      const before = mirror.toString();
      const after = this.readText(field);
      this.mirrors.set(field, new TextMirror(after));
      told = replacementDelta(before, after);
    }
    const change: TextChange = { field, origin, deltas: told };
    const listeners = this.textListeners;
    for (let i = 0; i < listeners.length; i++) {
      try {
        (listeners[i] as (change: TextChange) => void)(change);
      } catch {
        // A failing listener (the UI) must not stop the engine's own change.
      }
    }
  }

  /**
   * For engines that cannot tell where their text changed: compare each text with what the mirror holds
   * and report the differing middle (O(text) per change; test engines only).
   */
  protected emitTextByComparison(origin: EngineChange['origin']): void {
    for (const field of this.schema.fieldsOf('text')) {
      const before = this.mirror(field.name).toString();
      this.emitText(field.name, origin, replacementDelta(before, this.readText(field.name)));
    }
  }

  /** Free the engine's own resources (documents, WebAssembly memory, observers). Called once, by close. */
  protected abstract release(): void;

  /** For methods that touch no held state (the others throw through `Held`). */
  protected assertOpen(): void {
    if (this.isClosed) throw new EngineClosedError(this.name);
  }

  private mirror(field: string): TextMirror {
    let mirror = this.mirrors.get(field);
    if (mirror === undefined) {
      if (this.schema.field(field)?.kind !== 'text') throw new RangeError(`${field} is not a text field`);
      mirror = new TextMirror();
      this.mirrors.set(field, mirror);
    }
    return mirror;
  }
}
