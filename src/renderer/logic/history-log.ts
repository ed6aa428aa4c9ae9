/**
 * The room's history as this window has seen it: after each burst of changes (one per animation frame),
 * every engine's view, with who made the change and what it was. The scrubber moves through it. It holds
 * views the engines already made (no copies), and the newest MAX_HISTORY_ENTRIES only.
 */
import type { EngineName, WorkspaceView } from '@converge/replica';

/** Each entry holds every engine's view (shared with the engines while unchanged): bounded for big texts. */
export const MAX_HISTORY_ENTRIES = 120;

export interface HistoryEntry {
  /** Grows by one per entry, kept across dropped old entries (a stable key). */
  readonly seq: number;
  readonly at: number;
  /**
   * Who made the change: this window's replica id, or the peers whose messages brought it (the room's
   * storage peer when it relayed another window's edit: engines do not tell the runtime an edit's author).
   */
  readonly authors: readonly string[];
  /** What it was, in words ("text.insert", "undo", "synced"). */
  readonly edit: string;
  readonly local: boolean;
  readonly views: Readonly<Partial<Record<EngineName, WorkspaceView>>>;
}

export class HistoryLog {
  private readonly kept: HistoryEntry[] = [];
  private seq = 0;
  private pendingEdits: string[] = [];
  private pendingAuthors = new Set<string>();
  private pendingLocal = false;
  private pendingRemote = false;
  private dirty = false;

  constructor(private readonly self: string) {}

  /** This window edited (an intent's op, or "undo" / "redo"). */
  local(edit: string): void {
    this.pendingEdits.push(edit);
    this.pendingAuthors.add(this.self);
    this.pendingLocal = true;
    this.dirty = true;
  }

  /** A change came from a peer (undefined when the runtime could not tell which). */
  remote(peer: string | undefined): void {
    if (peer !== undefined) this.pendingAuthors.add(peer);
    this.pendingRemote = true;
    this.dirty = true;
  }

  /** An entry nobody authored (the state the window opened with). */
  mark(what: string): void {
    this.pendingEdits.push(what);
    this.dirty = true;
  }

  /** Whether changes are waiting for `settle` to close them into an entry. */
  get pending(): boolean {
    return this.dirty;
  }

  /** Close the pending burst with the engines' views now; returns whether an entry was added. */
  settle(at: number, views: Readonly<Partial<Record<EngineName, WorkspaceView>>>): boolean {
    if (!this.dirty) return false;
    const authors = [...this.pendingAuthors].sort();
    const edits = [...new Set(this.pendingEdits)];
    // A change from the network says only that it synced: its ops are the engines' own (the authors say whence).
    const edit = [...edits, ...(this.pendingRemote ? ['synced'] : [])].join(', ');
    this.kept.push({ seq: ++this.seq, at, authors, edit, local: this.pendingLocal, views });
    if (this.kept.length > MAX_HISTORY_ENTRIES) this.kept.shift();
    this.pendingEdits = [];
    this.pendingAuthors = new Set();
    this.pendingLocal = false;
    this.pendingRemote = false;
    this.dirty = false;
    return true;
  }

  /** Oldest first. A new array after each `settle` that added an entry. */
  entries(): readonly HistoryEntry[] {
    return this.snapshot;
  }

  private get snapshot(): readonly HistoryEntry[] {
    if (this.cache?.seq !== this.seq) this.cache = { seq: this.seq, entries: [...this.kept] };
    return this.cache.entries;
  }

  private cache: { seq: number; entries: readonly HistoryEntry[] } | undefined;
}
