/**
 * What every engine does alike around its change feed and its lifecycle: subscriptions, the session a
 * change came from, the digest of its view, and `close`, which drops every subscriber and lets the
 * engine release what it holds. Engines extend it and add their document and protocol.
 */

import type { EngineChange, SyncSession } from '../../engine.ts';
import { EngineClosedError } from '../../engine-closed-error.ts';
import type { EngineName } from '../../engine-name.ts';
import type { WorkspaceView } from '../../workspace.ts';
import { ChangeFeed } from './change-feed.ts';
import { viewDigest } from './view-digest.ts';

export abstract class FeedEngine<Native> {
  abstract readonly name: EngineName;
  /** Changes of this engine, each with its native form and the session whose peer sent it. */
  protected readonly feed = new ChangeFeed<Native>();
  private isClosed = false;

  abstract view(): WorkspaceView;

  /** Set once `close` ran. */
  get closed(): boolean {
    return this.isClosed;
  }

  onChange(listener: (change: EngineChange) => void): () => void {
    this.assertOpen();
    return this.feed.subscribe(listener);
  }

  /** The session whose peer sent a change this engine emitted, if any (so it is not echoed back). */
  sourceOf(change: EngineChange): SyncSession | undefined {
    return this.feed.sourceOf(change);
  }

  digest(): string {
    return viewDigest(this.view());
  }

  /** Release everything the engine holds; afterwards every use throws EngineClosedError. Idempotent. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.feed.clear();
    this.release();
  }

  /** Free the engine's own resources (documents, WebAssembly memory, observers). Called once, by close. */
  protected abstract release(): void;

  /** For methods that touch no held state (the others throw through `Held`). */
  protected assertOpen(): void {
    if (this.isClosed) throw new EngineClosedError(this.name);
  }
}
