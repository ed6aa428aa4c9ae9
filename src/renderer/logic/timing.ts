/**
 * Named spans as User Timing measures ("converge:apply", ...): visible in DevTools' Performance panel
 * and to a PerformanceObserver (the app benchmark attributes a keystroke's time with them). Each is
 * cleared from the timeline buffer at once, so a long session keeps none of them.
 */
export type TimingName = 'converge:apply' | 'converge:remote-edit' | 'converge:snapshot' | 'converge:compare';

export function timed<T>(name: TimingName, work: () => T): T {
  const start = performance.now();
  try {
    return work();
  } finally {
    performance.measure(name, { start });
    performance.clearMeasures(name);
  }
}

/**
 * The steps of a window's start, as User Timing marks (kept: one of each per window): the page's and its
 * replica worker's, each on its own timeline (`performance.timeOrigin` + `startTime` puts them on one).
 * The app benchmark's reopen measure reads them to say where a window's start goes.
 */
export type StartMark =
  | 'converge:worker-listening'
  | 'converge:worker-ready'
  | 'converge:editor-created'
  | 'converge:init'
  | 'converge:store-read'
  | 'converge:host-imported'
  | 'converge:replica-open'
  /** The worker asks the page for the window's credential (for its relay connection), and has it. */
  | 'converge:credential-asked'
  | 'converge:credential-answered'
  | 'converge:relay-online'
  | 'converge:first-peer'
  | 'converge:first-remote-text'
  /** The page's copy: the primary's first text from a peer, as the page receives it from its worker. */
  | 'converge:page-remote-text';

export function markStart(name: StartMark): void {
  performance.mark(name);
}
