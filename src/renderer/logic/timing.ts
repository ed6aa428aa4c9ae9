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
