import { EditorState } from '@codemirror/state';
import type { PeerPresence } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { caretsShown, remoteCaretField, remoteCaretsOf, setRemoteCarets } from '../editor/remote-carets.ts';

const peer = (id: string, over: Partial<PeerPresence> = {}): PeerPresence => ({
  id,
  name: id.toUpperCase(),
  colour: '#123456',
  panel: 'compare',
  caret: { field: 'text', anchor: 3, head: 3 },
  status: 'here',
  heardAt: 0,
  ...over,
});

describe('remote carets in the editor', () => {
  it('shows the carets of peers that are here, in this field; a nameless one by its id', () => {
    const carets = remoteCaretsOf(
      [
        peer('a'),
        peer('b', { status: 'cut-off' }),
        peer('c', { caret: { field: 'notes', anchor: 0, head: 0 } }),
        peer('d', { caret: null }),
        peer('e', { name: '', caret: { field: 'text', anchor: 9, head: 4 } }),
      ],
      'text',
    );
    expect(carets).toEqual([
      { id: 'a', name: 'A', colour: '#123456', anchor: 3, head: 3 },
      { id: 'e', name: 'e', colour: '#123456', anchor: 9, head: 4 },
    ]);
  });

  it('knows an announcement the mapped carets already show (a typist’s caret after its keystroke)', () => {
    let state = EditorState.create({ doc: 'hello', extensions: [remoteCaretField] });
    const at = (pos: number) => [{ id: 'a', name: 'A', colour: '#f00', anchor: pos, head: pos }];
    state = state.update({ effects: setRemoteCarets.of(at(5)) }).state;
    state = state.update({ changes: [{ from: 5, insert: '!' }] }).state; // a's keystroke, before its caret
    expect(caretsShown(state, at(6))).toBe(true);
    expect(caretsShown(state, at(5))).toBe(false);
    expect(caretsShown(state, [{ id: 'a', name: 'Ann', colour: '#f00', anchor: 6, head: 6 }])).toBe(false);
    expect(caretsShown(state, [])).toBe(false);
    expect(caretsShown(state, at(40))).toBe(true); // clamped to the text, as the field clamps it
  });

  it('clamps announced carets to the text and maps them through every change after', () => {
    let state = EditorState.create({ doc: 'hello world', extensions: [remoteCaretField] });
    state = state.update({
      effects: setRemoteCarets.of([
        { id: 'a', name: 'A', colour: '#f00', anchor: 6, head: 11 },
        { id: 'b', name: 'B', colour: '#0f0', anchor: 40, head: 40 },
      ]),
    }).state;
    expect(state.field(remoteCaretField).map((c) => [c.anchor, c.head])).toEqual([
      [6, 11],
      [11, 11],
    ]);
    // Typed before a's selection: it moves right; typed at b's caret (its owner typing): b moves past it.
    state = state.update({ changes: [{ from: 0, insert: '>> ' }] }).state;
    state = state.update({ changes: [{ from: 14, insert: '!' }] }).state;
    expect(state.doc.toString()).toBe('>> hello world!');
    expect(state.field(remoteCaretField).map((c) => [c.anchor, c.head])).toEqual([
      [9, 15],
      [15, 15],
    ]);
    // A deletion around a caret brings it to the deletion's start.
    state = state.update({ changes: [{ from: 5, to: 12 }] }).state;
    expect(state.field(remoteCaretField).map((c) => [c.anchor, c.head])).toEqual([
      [5, 8],
      [8, 8],
    ]);
  });
});
