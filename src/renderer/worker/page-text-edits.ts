/**
 * The texts between the worker and the page: each engine's text change goes to the page with a revision,
 * and the page's edits of the primary's text, made against the revision it had seen, are rebased over
 * what it had not seen before the replica applies them (editor-sync.ts). One concept, out of the host so
 * it runs in tests over a real replica.
 */
import { ChangeSet } from '@codemirror/state';
import { errorMessage } from '@converge/protocol';
import type { EngineName, FieldEdit, TextDelta } from '@converge/replica';
import { changesToEdits } from '../logic/editor-edits.ts';
import { changeSetOfDeltas, EditRebaser, sameChanges } from '../logic/editor-sync.ts';
import type { ToPage, ToWorker } from './protocol.ts';

/** What the page's edits need of the replica. */
export interface PageTextReplica {
  readonly primary: EngineName;
  /** Take in what engines put off from peers, reporting it (Replica.settle). */
  settle(): void;
}

export interface PageTextEditsOptions {
  readonly replica: PageTextReplica;
  readonly textFields: readonly string[];
  readonly post: (message: ToPage) => void;
  /** Apply one edit of the primary's text (its text events come through `changed` while it runs). */
  readonly apply: (edit: FieldEdit) => void;
  /** Tell the user something (an edit that could not be placed). */
  readonly notify: (message: string) => void;
}

/** A text event of the replica (its `text` event). */
export interface TextChange {
  readonly engine: EngineName;
  readonly field: string;
  readonly origin: 'local' | 'remote' | 'store';
  readonly deltas: readonly TextDelta[];
}

/** The page's edit being carried out, and what the followed engine did with it. */
interface Applying {
  readonly seq: number;
  readonly field: string;
  readonly deltas: TextDelta[];
}

export class PageTextEdits {
  private readonly rebaser = new EditRebaser();
  private readonly lengths = new Map<string, number>();
  private revision = 0;
  private applying: Applying | undefined;

  constructor(private readonly options: PageTextEditsOptions) {}

  /** The revision of the last text change posted to the page. */
  get rev(): number {
    return this.revision;
  }

  /** A text's length as the page starts from it. */
  started(engine: EngineName, field: string, length: number): void {
    this.lengths.set(keyOf(engine, field), length);
  }

  /** Edits the page based on what it had seen cannot be placed any more (the primary changed). */
  reset(): void {
    this.rebaser.reset(this.revision);
  }

  /** The page's edit of a text: rebased over what the page had not seen, then applied. */
  edit(message: Extract<ToWorker, { type: 'edit-text' }>): void {
    const { replica, post } = this.options;
    const done = (exact: boolean): void =>
      post({ type: 'edit-done', seq: message.seq, field: message.field, exact });
    if (message.engine !== replica.primary || !this.options.textFields.includes(message.field)) {
      done(false);
      return;
    }
    let changes: ChangeSet;
    try {
      changes = ChangeSet.fromJSON(message.changes);
    } catch (error) {
      post({ type: 'protocol-error', message: `unreadable text edit: ${errorMessage(error)}` });
      done(false);
      return;
    }
    // What an engine put off from peers comes in first (apply would take it in anyway): the rebase then
    // places the page's edit over it too, not in a text older than the one it is applied to.
    replica.settle();
    const rebased = this.rebaser.rebase(message.field, message.base, changes);
    if (rebased === undefined) {
      this.options.notify(
        'An edit made while the text changed under it could not be placed; the text was re-read.',
      );
      done(false);
      return;
    }
    const applying: Applying = { seq: message.seq, field: message.field, deltas: [] };
    this.applying = applying;
    try {
      for (const edit of changesToEdits(message.field, rebased)) this.options.apply(edit);
    } finally {
      this.applying = undefined;
    }
    const length = this.lengths.get(keyOf(replica.primary, message.field)) ?? 0;
    const exact = sameChanges(changeSetOfDeltas(applying.deltas, length), rebased);
    // What the page shows is not what the engine holds: it re-reads the text, and edits it sent before
    // seeing this one's result cannot be placed.
    if (!exact) this.rebaser.reset(this.revision);
    done(exact);
  }

  /** An engine's text changed: posted to the page; the primary's are what the page's edits are rebased over. */
  changed(event: TextChange): void {
    const key = keyOf(event.engine, event.field);
    let length = this.lengths.get(key) ?? 0;
    for (const delta of event.deltas) length += delta.text.length - delta.del;
    this.lengths.set(key, length);
    const rev = ++this.revision;
    const applying = this.applying;
    if (event.engine === this.options.replica.primary) {
      if (applying !== undefined && applying.field === event.field) applying.deltas.push(...event.deltas);
      else {
        // Built only if an edit made before the page saw this change must be rebased over it (a new
        // window's first text is the whole document).
        const { deltas } = event;
        const lengthAfter = length;
        this.rebaser.observe(event.field, rev, () => changeSetOfDeltas(deltas, lengthAfter));
      }
    }
    this.options.post({
      type: 'text',
      rev,
      engine: event.engine,
      field: event.field,
      origin: event.origin,
      ...(applying === undefined ? {} : { seq: applying.seq }),
      deltas: event.deltas.map(({ pos, del, text }) => ({ pos, del, text })),
    });
  }
}

function keyOf(engine: string, field: string): string {
  return `${engine}\u0000${field}`;
}
