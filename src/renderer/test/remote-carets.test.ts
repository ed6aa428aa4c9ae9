import type { PeerPresence } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { remoteCarets, selectionRects, type TextGeometry } from '../logic/remote-carets.ts';

/** A monospace grid: 10 characters per line, 8 px wide, 20 px high. */
const grid: TextGeometry = {
  width: 80,
  caretAt: (pos) => ({ left: (pos % 10) * 8, top: Math.floor(pos / 10) * 20, height: 20 }),
};

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

describe('remote carets', () => {
  it('marks the carets of peers that are here, in this field, clamped to this text', () => {
    const marks = remoteCarets(
      [
        peer('a'),
        peer('b', { status: 'cut-off' }),
        peer('c', { caret: { field: 'notes', anchor: 0, head: 0 } }),
        peer('d', { caret: null }),
        peer('e', { name: '', caret: { field: 'text', anchor: 99, head: 99 } }),
      ],
      'text',
      12,
      grid,
    );
    expect(marks.map((m) => [m.id, m.name, m.head, m.caret])).toEqual([
      ['a', 'A', 3, { left: 24, top: 0, height: 20 }],
      ['e', 'e', 12, { left: 16, top: 20, height: 20 }],
    ]);
    expect(marks[0]?.selection).toEqual([]);
  });

  it('covers a selection line by line, whichever way it was made', () => {
    expect(selectionRects(2, 5, grid)).toEqual([{ left: 16, top: 0, width: 24, height: 20 }]);
    expect(selectionRects(5, 32, grid)).toEqual([
      { left: 40, top: 0, width: 40, height: 20 },
      { left: 0, top: 20, width: 80, height: 40 },
      { left: 0, top: 60, width: 16, height: 20 },
    ]);
    const [mark] = remoteCarets(
      [peer('a', { caret: { field: 'text', anchor: 15, head: 12 } })],
      'text',
      40,
      grid,
    );
    expect(mark?.selection).toEqual(selectionRects(12, 15, grid));
    expect(selectionRects(4, 4, grid)).toEqual([]);
  });
});
