/**
 * Switching rooms in a web tab loads another page, which ends the tab's replica worker at once: edits it
 * had not sent yet (still queued, or still being stored) would stay out of the room until this replica
 * came back. So the tab leaves first (its session closes: edits forwarded, connection closed), then
 * goes; or goes anyway after `limitMs` (a store that never answers must not keep the user in the room).
 */
import type { Timers } from '@converge/protocol';

export const LEAVE_ROOM_LIMIT_MS = 5_000;

export function leaveThenGo(
  leave: () => Promise<void>,
  go: () => void,
  timers: Timers,
  limitMs: number = LEAVE_ROOM_LIMIT_MS,
): void {
  let gone = false;
  const once = (): void => {
    if (gone) return;
    gone = true;
    cancel();
    go();
  };
  const cancel = timers.setTimeout(once, limitMs);
  // A session that failed to close has nothing more to send: go.
  Promise.resolve().then(leave).then(once, once);
}
