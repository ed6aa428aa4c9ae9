/**
 * The worker's posts to the page, one message per task: a keystroke changes every engine's text, and
 * each change was a `postMessage` of its own (five per key in a window that only receives, with the
 * snapshot and the edit's answer besides). What the started page handles (`BATCHED`) waits for the end
 * of the task and leaves as one 'batch' message; anything else flushes what waits and goes at once, so
 * the page sees every message in the order it was posted.
 *
 * A large text change (`LARGE_TEXT_CHARS` or more inserted or deleted: a new window's first copy of the
 * document, a paste) goes at once too, with what waited before it: the task that applied it may run on
 * for a long while (a new window's worker spent ~150 ms after the primary's whole text before its task
 * ended), and the page shows that text. Its post costs by its size, so batching it would save nothing.
 */
import type { ToPage } from './protocol.ts';

/** The messages the page's client handles once the replica is open (replica-client.ts's `receive`). */
const BATCHED: ReadonlySet<ToPage['type']> = new Set([
  'text',
  'edit-done',
  'snapshot',
  'checkout-view',
  'reply',
]);

/** A text message changing at least this many characters is posted at once (see above). */
export const LARGE_TEXT_CHARS = 4096;

export class PagePoster {
  private waiting: ToPage[] = [];
  private scheduled = false;

  constructor(
    private readonly send: (message: ToPage) => void,
    // Wrapped: a browser's queueMicrotask called as a method of another object throws "Illegal invocation".
    private readonly schedule: (flush: () => void) => void = (flush) => queueMicrotask(flush),
  ) {}

  post(message: ToPage): void {
    if (!BATCHED.has(message.type) || isLargeText(message)) {
      this.flush();
      this.send(message);
      return;
    }
    this.waiting.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  flush(): void {
    const messages = this.waiting;
    if (messages.length === 0) return;
    this.waiting = [];
    this.send(messages.length === 1 ? (messages[0] as ToPage) : { type: 'batch', messages });
  }
}

function isLargeText(message: ToPage): boolean {
  if (message.type !== 'text') return false;
  let chars = 0;
  for (const delta of message.deltas) {
    chars += delta.text.length + delta.del;
    if (chars >= LARGE_TEXT_CHARS) return true;
  }
  return false;
}
