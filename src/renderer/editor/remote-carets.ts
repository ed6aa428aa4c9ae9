/**
 * Other windows' carets and selections in the CodeMirror editor, with each person's name and colour.
 * Their positions live in a StateField: set from presence (`setRemoteCarets`) and, between two
 * announcements, mapped through every change of the document (O(carets) per transaction, never O(text)),
 * so a caret stays on its character while anyone types. A layer draws them: CodeMirror measures only
 * what is in the viewport, and sets sizes and colours through the CSSOM (the CSP allows no style attributes).
 */
import {
  EditorSelection,
  type EditorState,
  type Extension,
  StateEffect,
  StateField,
} from '@codemirror/state';
import { EditorView, type LayerMarker, layer, RectangleMarker } from '@codemirror/view';
import type { PeerPresence } from '@converge/replica';

export interface RemoteCaret {
  readonly id: string;
  readonly name: string;
  readonly colour: string;
  /** Where the peer's selection started, and where its caret is (positions in this editor's text). */
  readonly anchor: number;
  readonly head: number;
}

/** The carets of peers that are here and whose caret is in `field` (a peer with no name shows its id). */
export function remoteCaretsOf(peers: readonly PeerPresence[], field: string): RemoteCaret[] {
  const carets: RemoteCaret[] = [];
  for (const peer of peers) {
    if (peer.status !== 'here' || peer.caret === null || peer.caret.field !== field) continue;
    carets.push({
      id: peer.id,
      name: peer.name || peer.id,
      colour: peer.colour,
      anchor: peer.caret.anchor,
      head: peer.caret.head,
    });
  }
  return carets;
}

/** Replace the remote carets shown (positions are clamped to the text: a peer's text may differ a moment). */
export const setRemoteCarets = StateEffect.define<readonly RemoteCaret[]>();

export const remoteCaretField = StateField.define<readonly RemoteCaret[]>({
  create: () => [],
  update(carets, transaction) {
    let next = carets;
    if (transaction.docChanged && next.length > 0) {
      // A caret sticks to the character before it: text typed at it (by its owner) goes before it.
      next = next.map((caret) => ({
        ...caret,
        anchor: transaction.changes.mapPos(caret.anchor, 1),
        head: transaction.changes.mapPos(caret.head, 1),
      }));
    }
    for (const effect of transaction.effects) {
      if (!effect.is(setRemoteCarets)) continue;
      const length = transaction.newDoc.length;
      next = effect.value.map((caret) => ({
        ...caret,
        anchor: clamp(caret.anchor, length),
        head: clamp(caret.head, length),
      }));
    }
    return next;
  },
});

/**
 * Whether the editor already shows these carets where an announcement puts them: a peer's caret after
 * its keystroke is where the keystroke's change mapped its last one (its text arrives first), so the
 * announcement need not be dispatched (an editor update, and the layout it forces, per peer keystroke).
 */
export function caretsShown(state: EditorState, carets: readonly RemoteCaret[]): boolean {
  const length = state.doc.length;
  return sameCarets(
    carets.map((caret) => ({
      ...caret,
      anchor: clamp(caret.anchor, length),
      head: clamp(caret.head, length),
    })),
    state.field(remoteCaretField, false) ?? [],
  );
}

export function sameCarets(a: readonly RemoteCaret[], b: readonly RemoteCaret[]): boolean {
  return (
    a.length === b.length &&
    a.every((caret, i) => {
      const other = b[i];
      return (
        other !== undefined &&
        caret.id === other.id &&
        caret.name === other.name &&
        caret.colour === other.colour &&
        caret.anchor === other.anchor &&
        caret.head === other.head
      );
    })
  );
}

function clamp(pos: number, length: number): number {
  return Math.max(0, Math.min(pos, length));
}

/** One drawn piece of a remote caret: its selection's rectangles, or the caret with the name. */
class PeerMarker implements LayerMarker {
  constructor(
    private readonly rect: RectangleMarker,
    private readonly caret: RemoteCaret,
    private readonly kind: 'selection' | 'caret',
    private readonly firstLine: boolean,
  ) {}

  draw(): HTMLElement {
    const element = this.rect.draw();
    element.style.setProperty('--peer-colour', this.caret.colour);
    if (this.kind === 'caret') {
      element.setAttribute('data-testid', `remote-caret-${this.caret.id}`);
      element.setAttribute('data-head', String(this.caret.head));
      const name = document.createElement('span');
      // On the first line the name goes below the caret, or the editor's frame would cut it off.
      name.className = this.firstLine
        ? 'cm-remote-caret-name cm-remote-caret-name-below'
        : 'cm-remote-caret-name';
      name.textContent = this.caret.name;
      element.append(name);
    }
    return element;
  }

  eq(other: LayerMarker): boolean {
    return (
      other instanceof PeerMarker &&
      other.kind === this.kind &&
      other.firstLine === this.firstLine &&
      other.caret.id === this.caret.id &&
      other.caret.name === this.caret.name &&
      other.caret.colour === this.caret.colour &&
      other.caret.head === this.caret.head &&
      other.rect.eq(this.rect)
    );
  }
}

function markersOf(view: EditorView): LayerMarker[] {
  const markers: LayerMarker[] = [];
  for (const caret of view.state.field(remoteCaretField)) {
    if (caret.anchor !== caret.head) {
      const range = EditorSelection.range(caret.anchor, caret.head);
      for (const rect of RectangleMarker.forRange(view, 'cm-remote-selection', range))
        markers.push(new PeerMarker(rect, caret, 'selection', false));
    }
    const firstLine = view.state.doc.lineAt(caret.head).number === 1;
    for (const rect of RectangleMarker.forRange(view, 'cm-remote-caret', EditorSelection.cursor(caret.head)))
      markers.push(new PeerMarker(rect, caret, 'caret', firstLine));
  }
  return markers;
}

const caretsChanged = (before: EditorState, after: EditorState): boolean =>
  before.field(remoteCaretField) !== after.field(remoteCaretField);

const remoteCaretTheme = EditorView.theme({
  '.cm-remote-carets': { pointerEvents: 'none' },
  '.cm-remote-caret': { borderLeft: '2px solid var(--peer-colour)', marginLeft: '-1px' },
  '.cm-remote-caret-name': {
    position: 'absolute',
    bottom: '100%',
    left: '-2px',
    padding: '0 4px',
    borderRadius: '3px 3px 3px 0',
    background: 'var(--peer-colour)',
    color: '#fff',
    fontSize: '10px',
    lineHeight: '14px',
    whiteSpace: 'nowrap',
    fontFamily: 'system-ui, sans-serif',
  },
  '.cm-remote-caret-name-below': { bottom: 'auto', top: '100%', borderRadius: '0 3px 3px 3px' },
  '.cm-remote-selection': { background: 'var(--peer-colour)', opacity: '0.22' },
});

/** The extension: the caret field, the layer that draws it, and its styles. */
export function remoteCarets(): Extension {
  return [
    remoteCaretField,
    layer({
      above: true,
      class: 'cm-remote-carets',
      markers: markersOf,
      update: (update) =>
        update.docChanged ||
        update.viewportChanged ||
        update.geometryChanged ||
        caretsChanged(update.startState, update.state),
    }),
    remoteCaretTheme,
  ];
}
