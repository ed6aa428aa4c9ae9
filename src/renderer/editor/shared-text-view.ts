/**
 * The shared text in a CodeMirror 6 editor. It renders only the viewport, so a keystroke costs the same
 * in a 1 MB text as in an empty one. The replica runs in a worker: a local transaction is shown at once
 * and its changes are sent without waiting (`EditorLink.send`); the engine's changes come back from the
 * text feed as CodeMirror changes (annotated `remoteEdit`, kept out of the undo history), mapped over the
 * edits still in flight (logic/editor-sync.ts), never as a replaced document, so the selection, the
 * scroll position and an IME composition survive them, and decorations (remote carets) map through them.
 *
 * Undo and redo are the replica's (the same steps in every engine, shared with other windows as edits):
 * Mod-z, Shift-Mod-z and Mod-y, and the browser's own undo (a context menu) go to `history`; CodeMirror's
 * history extension is not used.
 *
 * Styles: CodeMirror injects its theme as a <style> element when mounted in a document, which the strict
 * CSP (style-src 'self') refuses. Mounted in a shadow root, it uses a constructed stylesheet (adopted
 * stylesheets are CSSOM, not markup), so the CSP stays as it is: no 'unsafe-inline', no nonce.
 */
import { defaultKeymap } from '@codemirror/commands';
import { Annotation, ChangeSet, EditorState, type Extension, Transaction } from '@codemirror/state';
import { EditorView, keymap } from '@codemirror/view';
import type { EngineName } from '@converge/replica';
import { replacementsToChanges } from '../logic/editor-edits.ts';
import { EditorSync } from '../logic/editor-sync.ts';
import { type TextFeed, type TextUpdate, textReplacements } from '../logic/text-feed.ts';
import { timed } from '../logic/timing.ts';
import { caretsShown, type RemoteCaret, remoteCarets, sameCarets, setRemoteCarets } from './remote-carets.ts';
import { skipSelectionReadsWhileUnfocused } from './unfocused-selection.ts';

/** Marks a transaction that shows what the engine did (a peer's edit, a refused edit undone): not sent back. */
export const remoteEdit = Annotation.define<true>();

/** How the editor reaches the replica (in a worker: replica-client.ts). */
export interface EditorLink {
  /** Every engine's text as the replica last reported it, change by change. */
  readonly feed: TextFeed;
  /** Send changes the editor made (and shows) to every engine; returns the edit's sequence number. */
  send(engine: EngineName, field: string, changes: ChangeSet): number;
  /** Called when the replica carried out edit `seq` (`exact` false: the engine made something else of it). */
  onEditDone(listener: (seq: number, field: string, exact: boolean) => void): () => void;
}

export interface SharedTextViewOptions {
  /** The element the editor lives in (its shadow root holds the editor). */
  readonly host: HTMLElement;
  readonly link: EditorLink;
  readonly field: string;
  /** The accessible name of the editable region. */
  readonly label: string;
  /** The engine whose text is shown and edited (the primary). */
  readonly engine: EngineName;
  readonly placeholder: string;
  readonly testId: string;
  /** The replica's undo and redo of this window's own edits. */
  readonly history: { undo(): void; redo(): void };
  /**
   * Whether the editor binds the undo keys itself (web); false where an application menu owns them
   * (Electron's Edit menu hands them to the same undo), or one key press would undo twice.
   */
  readonly undoKeys: boolean;
  /** The local selection moved (a user's doing, not a peer's edit shifting it): anchor and head. */
  readonly onSelection?: (anchor: number, head: number) => void;
  /** More editor extensions. */
  readonly extensions?: readonly Extension[];
}

export class SharedTextView {
  readonly view: EditorView;
  private readonly feed: TextFeed;
  private readonly link: EditorLink;
  private readonly field: string;
  private readonly onSelection: ((anchor: number, head: number) => void) | undefined;
  private engine: EngineName;
  private stopFollowing: () => void = () => {};
  private readonly stopDone: () => void;
  /** The edits sent and not yet carried out: the engine's changes are mapped over them. */
  private readonly sync = new EditorSync();
  /** The editor may not show the engine's text: re-read it once no edit is in flight. */
  private stale = false;
  private announced: readonly RemoteCaret[] = [];

  constructor(options: SharedTextViewOptions) {
    this.link = options.link;
    this.feed = options.link.feed;
    this.field = options.field;
    this.engine = options.engine;
    this.onSelection = options.onSelection;
    const { undo, redo } = options.history;
    const root = options.host.shadowRoot ?? options.host.attachShadow({ mode: 'open', delegatesFocus: true });
    this.view = new EditorView({
      root,
      parent: root,
      state: EditorState.create({
        // The feed's document as it is when it keeps one (no whole string split into lines again).
        doc: this.feed.doc?.(this.engine, this.field) ?? this.feed.text(this.engine, this.field),
        extensions: [
          // Only "\n" breaks a line, as in the engines: positions stay the engines' positions.
          EditorState.lineSeparator.of('\n'),
          keymap.of([
            ...(options.undoKeys
              ? [
                  { key: 'Mod-z', run: handled(undo), preventDefault: true },
                  { key: 'Mod-Shift-z', run: handled(redo), preventDefault: true },
                  { key: 'Mod-y', run: handled(redo), preventDefault: true },
                ]
              : []),
            ...defaultKeymap,
          ]),
          EditorView.domEventHandlers({
            // The browser's own undo (a context menu, a gesture) would undo the editor, not the replica.
            beforeinput: (event) => {
              if (event.inputType !== 'historyUndo' && event.inputType !== 'historyRedo') return false;
              event.preventDefault();
              if (event.inputType === 'historyUndo') undo();
              else redo();
              return true;
            },
            focus: (_event, view) => {
              const { anchor, head } = view.state.selection.main;
              this.onSelection?.(anchor, head);
              return false;
            },
          }),
          remoteCarets(),
          EditorView.lineWrapping,
          EditorView.contentAttributes.of({
            'aria-label': options.label,
            'aria-placeholder': options.placeholder,
            'data-testid': options.testId,
            spellcheck: 'false',
          }),
          // The length shown (what tests and the app benchmark wait for: the editor renders only the
          // lines around the viewport, so its DOM text is not the document).
          EditorView.contentAttributes.compute(
            ['doc'],
            (state): Record<string, string> =>
              state.doc.length === 0
                ? { 'data-empty': 'true', 'data-length': '0' }
                : { 'data-length': String(state.doc.length) },
          ),
          editorTheme,
          ...(options.extensions ?? []),
        ],
      }),
      dispatchTransactions: (transactions, view) => this.dispatch(transactions, view),
    });
    // A peer's edit in a window that is not typing must not force a layout (see the module).
    skipSelectionReadsWhileUnfocused(this.view);
    this.follow(this.engine);
    this.stopDone = this.link.onEditDone((seq, field, exact) => {
      if (field === this.field) this.editDone(seq, exact);
    });
  }

  /** Show and edit another engine's text (the primary changed). */
  setEngine(engine: EngineName): void {
    if (engine === this.engine) return;
    this.engine = engine;
    this.follow(engine);
    // Edits in flight were made against the other engine's text: show this one's as it is.
    this.sync.clear();
    this.reconcile();
  }

  focus(): void {
    this.view.focus();
  }

  /**
   * Show other windows' carets (from presence); they follow the text's changes until they are announced
   * anew. The same announcement again (an unrelated re-render) changes nothing: the carets as mapped since
   * are more current than it.
   */
  setRemoteCarets(carets: readonly RemoteCaret[]): void {
    if (sameCarets(carets, this.announced)) return;
    this.announced = carets;
    if (caretsShown(this.view.state, carets)) return;
    this.view.dispatch({ effects: setRemoteCarets.of(carets) });
  }

  destroy(): void {
    this.stopDone();
    this.stopFollowing();
    this.view.destroy();
  }

  private follow(engine: EngineName): void {
    this.stopFollowing();
    this.stopFollowing = this.feed.subscribe(engine, this.field, (update) => this.engineChanged(update));
  }

  private dispatch(transactions: readonly Transaction[], view: EditorView): void {
    view.update(transactions);
    if (transactions.some((t) => t.selection !== undefined && !t.annotation(remoteEdit))) {
      const { anchor, head } = view.state.selection.main;
      this.onSelection?.(anchor, head);
    }
    for (const transaction of transactions) {
      if (!transaction.docChanged || transaction.annotation(remoteEdit)) continue;
      // Shown already; sent without waiting for the engines.
      const seq = timed('converge:apply', () => this.link.send(this.engine, this.field, transaction.changes));
      this.sync.local(seq, transaction.changes);
    }
  }

  private engineChanged(update: TextUpdate): void {
    // This editor's own edit carried out: the editor already shows it (editDone settles it).
    if (update.seq !== undefined) return;
    let before = update.length;
    for (const { from, to, insert } of update.changes) before -= insert.length - (to - from);
    let changes: ChangeSet;
    try {
      changes = this.sync.remote(ChangeSet.of(replacementsToChanges(update.changes), before));
    } catch {
      // Out of step with the engine: forget the edits in flight and show the engine's text.
      this.sync.clear();
      this.stale = true;
      this.reconcileWhenSettled();
      return;
    }
    timed('converge:remote-edit', () =>
      this.view.dispatch({
        changes,
        annotations: [remoteEdit.of(true), Transaction.addToHistory.of(false)],
      }),
    );
    if (this.sync.pendingCount === 0 && this.view.state.doc.length !== update.length) this.reconcile();
  }

  private editDone(seq: number, exact: boolean): void {
    // Refused, out of order, or the engine made something else of it: the engine's text decides.
    if (!this.sync.acknowledge(seq) || !exact) this.stale = true;
    this.reconcileWhenSettled();
  }

  private reconcileWhenSettled(): void {
    if (this.sync.pendingCount > 0) return;
    if (this.stale || this.view.state.doc.length !== this.feed.length(this.engine, this.field))
      this.reconcile();
  }

  /** Make the editor show exactly the engine's text (a whole-text comparison: only after a surprise). */
  private reconcile(): void {
    this.stale = false;
    const text = this.sync.expected(this.feed.text(this.engine, this.field));
    const changes = textReplacements(this.view.state.doc.toString(), text);
    if (changes.length === 0) return;
    this.view.dispatch({
      changes: replacementsToChanges(changes),
      annotations: [remoteEdit.of(true), Transaction.addToHistory.of(false)],
    });
  }
}

/** A key binding's command that always handles its key. */
function handled(action: () => void): () => boolean {
  return () => {
    action();
    return true;
  };
}

const editorTheme = EditorView.theme({
  '&': {
    height: '320px',
    minHeight: '160px',
    resize: 'vertical',
    overflow: 'hidden',
    background: 'var(--panel, #fff)',
    color: 'var(--ink, #1d2330)',
    border: '1px solid var(--line, #dde1e8)',
    borderRadius: '6px',
    fontSize: '14px',
  },
  '&.cm-focused': { outline: '2px solid var(--accent, #2f5bd3)', outlineOffset: '1px' },
  '.cm-scroller': { fontFamily: 'var(--mono, monospace)', lineHeight: '1.5', overflow: 'auto' },
  '.cm-content': { padding: '8px 10px' },
  // The placeholder as generated content: never part of the document's text or its DOM text.
  '.cm-content[data-empty]::before': {
    content: 'attr(aria-placeholder)',
    position: 'absolute',
    color: 'var(--muted, #5d6678)',
    pointerEvents: 'none',
    paddingRight: '10px',
  },
});
