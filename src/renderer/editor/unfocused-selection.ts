/**
 * An editor without focus does not read the DOM selection.
 *
 * CodeMirror re-reads the document's selection after every update that redraws content
 * (`DocView.updateSelection(mustRead)` → `DOMObserver.readSelectionRange`), to learn whether the redraw
 * moved it, and only then checks whether the editor has focus. In Chromium, reading a selection
 * (`ShadowRoot.getSelection()` and its anchor and focus) first brings style and layout up to date: in a
 * window that only receives a peer's typing, every remote change forced a layout of whatever the page had
 * changed meanwhile (React's commits), once per change, besides the frame's own.
 *
 * For an editable editor that does not hold the focus nothing depends on that read: CodeMirror writes
 * the DOM selection only when the editor is focused, and ignores selection changes outside it. So
 * while the content element is not the shadow root's active element, the read is skipped and the
 * remembered DOM selection forgotten (it may point at nodes the redraw removed); once the editor gets
 * focus, the first update or `selectionchange` reads it again, as CodeMirror does on its own when it
 * remembers no selection.
 *
 * `observer` is CodeMirror's internal DOM observer (@codemirror/view 6.x, not in its typings): when a
 * version lacks it, nothing is changed and the editor reads as before.
 */
import type { EditorView } from '@codemirror/view';

interface SelectionObserver {
  readSelectionRange(): boolean;
  readonly selectionRange: {
    readonly focusNode: Node | null;
    set(a: Node | null, ao: number, f: Node | null, fo: number): void;
  };
}

/** Skip `view`'s DOM selection reads while it lacks focus; returns whether the hook could be installed. */
export function skipSelectionReadsWhileUnfocused(view: EditorView): boolean {
  const observer = (view as unknown as { observer?: Partial<SelectionObserver> }).observer;
  const read = observer?.readSelectionRange;
  const remembered = observer?.selectionRange;
  if (observer === undefined || typeof read !== 'function' || typeof remembered?.set !== 'function')
    return false;
  observer.readSelectionRange = function readWhenFocused(this: SelectionObserver): boolean {
    if (focused(view)) return read.call(this);
    if (remembered.focusNode !== null) remembered.set(null, 0, null, 0);
    return false;
  };
  return true;
}

/** The content element is the focused element of the editor's root (no layout needed to tell). */
function focused(view: EditorView): boolean {
  return view.root.activeElement === view.contentDOM;
}
