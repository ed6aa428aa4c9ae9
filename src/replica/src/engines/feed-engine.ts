/**
 * What every engine does alike around its change feed: subscriptions, the session a change came
 * from, and the digest of its view. Engines extend it and add their document and protocol.
 */
import type { EngineChange, SyncSession } from '../engine.ts';
import type { WorkspaceView } from '../workspace.ts';
import { ChangeFeed } from './change-feed.ts';
import { viewDigest } from './view-digest.ts';

export abstract class FeedEngine<Native> {
  /** Changes of this engine, each with its native form and the session whose peer sent it. */
  protected readonly feed = new ChangeFeed<Native>();

  abstract view(): WorkspaceView;

  onChange(listener: (change: EngineChange) => void): () => void {
    return this.feed.subscribe(listener);
  }

  /** The session whose peer sent a change this engine emitted, if any (so it is not echoed back). */
  sourceOf(change: EngineChange): SyncSession | undefined {
    return this.feed.sourceOf(change);
  }

  digest(): string {
    return viewDigest(this.view());
  }
}
