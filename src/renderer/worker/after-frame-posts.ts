/**
 * The page's keystroke messages to its worker that can wait (the caret's presence) wait until the
 * frame that shows the keystroke is drawn. Posted at once, they woke the worker inside the keystroke:
 * it applied the edit in every engine and sent it to the relay, whose peers' workers applied it in
 * turn, all while the typing page still had its frame to draw, on a machine of two cores. In a Chrome
 * trace of bench:app the typing page's thread ran for less than a quarter of the time between a keydown
 * and its frame; its own worker was the largest other thread in those spans (bench/README.md, "Keystroke
 * latency, fourth session"). The edit itself no longer waits: a page reloaded or closed within the
 * frame lost it (posted on pagehide, it reached a worker ending with the page).
 *
 * Order is kept: any other message posts what waits first, then itself. A presence waiting behind no
 * edit is replaced by a newer one (only the last caret matters; one edited meanwhile stays behind its
 * edit). `flush` posts what waits (the page is being hidden or closed).
 */
import type { ToWorker } from './protocol.ts';

/** Runs `flush` once the next frame is drawn (or soon, where no frame comes). */
export type AfterFrame = (flush: () => void) => void;

export class AfterFramePosts {
  private waiting: ToWorker[] = [];
  private scheduled = false;

  constructor(
    private readonly send: (message: ToWorker) => void,
    private readonly afterFrame: AfterFrame,
  ) {}

  /** Post `message` once the next frame is drawn. */
  defer(message: ToWorker): void {
    const last = this.waiting.at(-1);
    if (message.type === 'presence' && last?.type === 'presence')
      this.waiting[this.waiting.length - 1] = message;
    else this.waiting.push(message);
    if (this.scheduled) return;
    this.scheduled = true;
    this.afterFrame(() => {
      this.scheduled = false;
      this.flush();
    });
  }

  /** Post `message` now, after what waits. */
  post(message: ToWorker): void {
    this.flush();
    this.send(message);
  }

  flush(): void {
    if (this.waiting.length === 0) return;
    const messages = this.waiting;
    this.waiting = [];
    for (const message of messages) this.send(message);
  }
}

/** A frame's wait longer than this (a background tab's frames can come 500 ms apart) posts anyway. */
export const AFTER_FRAME_LIMIT_MS = 50;

/**
 * The browser's: the first task after the next animation frame (the frame is drawn by then), or after
 * `AFTER_FRAME_LIMIT_MS` when no frame came.
 */
export function browserAfterFrame(): AfterFrame {
  const channel = new MessageChannel();
  // Each wait's number: a late frame or timer of a wait already run must not run the next one early.
  let current = 0;
  let pending: (() => void) | undefined;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = (wait: number): void => {
    if (wait !== current || pending === undefined) return;
    const flush = pending;
    pending = undefined;
    clearTimeout(timer);
    flush();
  };
  channel.port1.onmessage = (event: MessageEvent<number>) => run(event.data);
  return (flush) => {
    const wait = ++current;
    pending = flush;
    timer = setTimeout(() => run(wait), AFTER_FRAME_LIMIT_MS);
    requestAnimationFrame(() => channel.port2.postMessage(wait));
  };
}
