/**
 * Other windows' carets and selections in one text field, as marks to draw over the editor. The editor
 * supplies the geometry (text position → point on screen) through `TextGeometry`, so the same marks can
 * be drawn over a <textarea> (a mirror element measures it) or, in CodeMirror 6, turned into decorations
 * (`view.coordsAtPos` answers `caretAt`). Only peers that are here and whose caret is in this field are
 * shown; offsets are clamped to the text this window shows (the peer's text may differ for a moment).
 */
import type { PeerPresence } from '@converge/replica';

export interface CaretPoint {
  readonly left: number;
  readonly top: number;
  readonly height: number;
}

export interface Rect {
  readonly left: number;
  readonly top: number;
  readonly width: number;
  readonly height: number;
}

/** What the editor tells the marks: where a position is drawn, relative to the editor's content box. */
export interface TextGeometry {
  /** Null when the position is scrolled out of view. */
  caretAt(pos: number): CaretPoint | null;
  /** The width of a full line of the content box. */
  readonly width: number;
}

export interface CaretMark {
  readonly id: string;
  readonly name: string;
  readonly colour: string;
  /** Head and anchor, clamped to this window's text. */
  readonly head: number;
  readonly anchor: number;
  readonly caret: CaretPoint | null;
  readonly selection: readonly Rect[];
}

export function remoteCarets(
  peers: readonly PeerPresence[],
  field: string,
  textLength: number,
  geometry: TextGeometry,
): CaretMark[] {
  const marks: CaretMark[] = [];
  for (const peer of peers) {
    if (peer.status !== 'here' || peer.caret === null || peer.caret.field !== field) continue;
    const head = Math.min(peer.caret.head, textLength);
    const anchor = Math.min(peer.caret.anchor, textLength);
    marks.push({
      id: peer.id,
      name: peer.name || peer.id,
      colour: peer.colour,
      head,
      anchor,
      caret: geometry.caretAt(head),
      selection: selectionRects(Math.min(head, anchor), Math.max(head, anchor), geometry),
    });
  }
  return marks;
}

/** The rectangles covering [from, to): one per line it spans (first, a block of whole lines, last). */
export function selectionRects(from: number, to: number, geometry: TextGeometry): Rect[] {
  if (from === to) return [];
  const start = geometry.caretAt(from);
  const end = geometry.caretAt(to);
  if (start === null || end === null) return [];
  if (start.top === end.top) {
    return [
      { left: start.left, top: start.top, width: Math.max(end.left - start.left, 1), height: start.height },
    ];
  }
  const rects: Rect[] = [
    {
      left: start.left,
      top: start.top,
      width: Math.max(geometry.width - start.left, 1),
      height: start.height,
    },
  ];
  const middle = end.top - (start.top + start.height);
  if (middle > 0)
    rects.push({ left: 0, top: start.top + start.height, width: geometry.width, height: middle });
  if (end.left > 0) rects.push({ left: 0, top: end.top, width: end.left, height: end.height });
  return rects;
}
