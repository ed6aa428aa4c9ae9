import type { PeerPresence } from '@converge/replica';
import { type CSSProperties, type RefObject, useEffect, useLayoutEffect, useState } from 'react';
import { type CaretMark, remoteCarets } from '../logic/remote-carets.ts';
import { textareaGeometry } from './textarea-geometry.ts';

export interface RemoteCaretsProps {
  readonly area: RefObject<HTMLTextAreaElement | null>;
  readonly field: string;
  /** The text shown (a change re-measures). */
  readonly text: string;
  readonly peers: readonly PeerPresence[];
}

/** Other windows' carets and selections, drawn over the textarea with their names. */
export function RemoteCarets({ area, field, text, peers }: RemoteCaretsProps) {
  const [marks, setMarks] = useState<readonly CaretMark[]>([]);
  const [scrolled, setScrolled] = useState(0);
  useEffect(() => {
    const el = area.current;
    if (el === null) return;
    const onScroll = (): void => setScrolled((n) => n + 1);
    el.addEventListener('scroll', onScroll);
    window.addEventListener('resize', onScroll);
    return () => {
      el.removeEventListener('scroll', onScroll);
      window.removeEventListener('resize', onScroll);
    };
  }, [area]);
  // biome-ignore lint/correctness/useExhaustiveDependencies: text and scrolling move the marks too
  useLayoutEffect(() => {
    const el = area.current;
    if (el === null || !peers.some((p) => p.caret?.field === field && p.status === 'here')) {
      setMarks([]);
      return;
    }
    const geometry = textareaGeometry(el);
    try {
      setMarks(remoteCarets(peers, field, el.value.length, geometry));
    } finally {
      geometry.release();
    }
  }, [area, field, text, peers, scrolled]);
  return (
    <div className="remote-carets" aria-hidden="true">
      {marks.map((mark) => (
        <div
          key={mark.id}
          style={{ '--peer-colour': mark.colour } as CSSProperties}
          data-testid={`remote-caret-${mark.id}`}
          data-head={mark.head}
        >
          {mark.selection.map((rect) => (
            <div
              key={`${rect.left},${rect.top}`}
              className="remote-selection"
              style={{ left: rect.left, top: rect.top, width: rect.width, height: rect.height }}
            />
          ))}
          {mark.caret !== null ? (
            <div
              className="remote-caret"
              style={{ left: mark.caret.left, top: mark.caret.top, height: mark.caret.height }}
            >
              {/* On the first line the name goes below the caret, or the frame would cut it off. */}
              <span className={mark.caret.top < 14 ? 'remote-caret-name below' : 'remote-caret-name'}>
                {mark.name}
              </span>
            </div>
          ) : null}
        </div>
      ))}
    </div>
  );
}
