/**
 * TextGeometry for a <textarea>: where a text position is drawn, measured with a hidden mirror element
 * styled like the textarea (the same font, padding, width and wrapping), in the textarea's own
 * coordinates with its scroll taken off. The CodeMirror editor answers the same question natively
 * (`EditorView.coordsAtPos`), so only this module goes when the textarea does.
 */
import type { TextGeometry } from '../logic/remote-carets.ts';

const COPIED = [
  'boxSizing',
  'width',
  'paddingTop',
  'paddingRight',
  'paddingBottom',
  'paddingLeft',
  'borderTopWidth',
  'borderRightWidth',
  'borderBottomWidth',
  'borderLeftWidth',
  'borderStyle',
  'fontFamily',
  'fontSize',
  'fontWeight',
  'fontStyle',
  'letterSpacing',
  'lineHeight',
  'textTransform',
  'wordSpacing',
  'tabSize',
] as const;

/** Measure `area`; call `release` once done (the mirror is removed from the page). */
export function textareaGeometry(area: HTMLTextAreaElement): TextGeometry & { release(): void } {
  const style = getComputedStyle(area);
  const mirror = document.createElement('div');
  for (const property of COPIED) mirror.style[property] = style[property];
  Object.assign(mirror.style, {
    position: 'absolute',
    visibility: 'hidden',
    top: '0',
    left: '-99999px',
    whiteSpace: 'pre-wrap',
    overflowWrap: 'break-word',
    overflow: 'hidden',
    height: 'auto',
  });
  document.body.appendChild(mirror);
  const value = area.value;
  const lineHeight = Number.parseFloat(style.lineHeight) || Number.parseFloat(style.fontSize) * 1.2 || 16;
  return {
    width: area.clientWidth - (Number.parseFloat(style.paddingRight) || 0),
    caretAt: (pos) => {
      mirror.textContent = value.slice(0, pos);
      const marker = document.createElement('span');
      marker.textContent = value.slice(pos, pos + 1) || '.';
      mirror.appendChild(marker);
      const left = marker.offsetLeft - area.scrollLeft;
      const top = marker.offsetTop - area.scrollTop;
      if (top + lineHeight <= 0 || top >= area.clientHeight) return null;
      return { left, top, height: lineHeight };
    },
    release: () => mirror.remove(),
  };
}
