/**
 * Where to put a restored window: its saved bounds if enough of it is still on some display (the
 * monitor it was on may be gone), otherwise nothing, so the window opens centered on the primary one.
 */
import type { Bounds } from './window-state.ts';

export const DEFAULT_WINDOW_SIZE = { width: 1200, height: 800 } as const;
const MIN_WINDOW_SIZE = { width: 480, height: 360 } as const;
/** How much of the window's top strip must be visible for the user to grab and move it. */
const MIN_VISIBLE = { width: 120, height: 40 } as const;

/** Saved bounds, clamped to a usable size, if the title strip is visible on a work area; else undefined. */
export function placeOnScreen(saved: Bounds | undefined, workAreas: readonly Bounds[]): Bounds | undefined {
  if (saved === undefined) return undefined;
  const bounds: Bounds = {
    x: saved.x,
    y: saved.y,
    width: Math.max(saved.width, MIN_WINDOW_SIZE.width),
    height: Math.max(saved.height, MIN_WINDOW_SIZE.height),
  };
  const titleStrip: Bounds = { x: bounds.x, y: bounds.y, width: bounds.width, height: MIN_VISIBLE.height };
  const visible = workAreas.some((area) => {
    const overlap = intersect(titleStrip, area);
    return (
      overlap !== undefined && overlap.width >= MIN_VISIBLE.width && overlap.height >= MIN_VISIBLE.height
    );
  });
  return visible ? bounds : undefined;
}

function intersect(a: Bounds, b: Bounds): Bounds | undefined {
  const x = Math.max(a.x, b.x);
  const y = Math.max(a.y, b.y);
  const right = Math.min(a.x + a.width, b.x + b.width);
  const bottom = Math.min(a.y + a.height, b.y + b.height);
  return right > x && bottom > y ? { x, y, width: right - x, height: bottom - y } : undefined;
}

/** A new window's position: offset from the last one so windows don't stack exactly. */
export function cascadeFrom(last: Bounds | undefined, workArea: Bounds | undefined): Bounds | undefined {
  if (last === undefined || workArea === undefined) return undefined;
  const step = 32;
  const next: Bounds = { ...last, x: last.x + step, y: last.y + step };
  const fits =
    next.x + next.width <= workArea.x + workArea.width &&
    next.y + next.height <= workArea.y + workArea.height;
  return fits ? next : { ...last, x: workArea.x + step, y: workArea.y + step };
}
