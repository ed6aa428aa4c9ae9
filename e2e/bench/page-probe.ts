/**
 * What the app benchmark installs in a page (through the debugger, as page.evaluate does: the app's CSP
 * rightly forbids eval, so nothing here is compiled inside the page by the page itself). Strings, because
 * this folder is type-checked without DOM types.
 *
 * "Painted": the first task after the next animation frame, i.e. after the browser produced the frame
 * that shows the change (the usual keystroke-to-next-paint approximation). Beside it, what Chromium
 * itself reports (the Event Timing API, INP's source): a keydown's duration until the next frame was
 * presented, in steps of 8 ms, and only when at least 16 ms. The two agree only in a page whose frames
 * are drawn: the typing window must be a window of its own or its window's active tab (bench/README.md).
 */
export const PROBE = `(() => {
  if (window.__bench !== undefined) return true;
  const content = () => document.getElementById('text-editor')?.shadowRoot?.querySelector('.cm-content') ?? null;
  const afterPaint = () =>
    new Promise((resolve) =>
      requestAnimationFrame(() => {
        const channel = new MessageChannel();
        channel.port1.onmessage = () => resolve(performance.now());
        channel.port2.postMessage(0);
      }),
    );
  const epoch = (t) => performance.timeOrigin + t;
  let armed = false;
  let armedAt = 0;
  let disarmedAt = Infinity;
  const latencies = [];
  // Event Timing: keydown durations by the keydown's timeStamp (the entry's startTime).
  const eventDurations = [];
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries())
      if (entry.name === 'keydown' && entry.startTime >= armedAt && entry.startTime <= disarmedAt)
        eventDurations.push(entry.duration);
  }).observe({ type: 'event', durationThreshold: 16 });
  // The app's User Timing spans (src/renderer/logic/timing.ts) inside the armed period: where the time went.
  const spans = {};
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.startTime < armedAt || entry.startTime > disarmedAt) continue;
      const span = (spans[entry.name] ??= { count: 0, totalMs: 0, maxMs: 0 });
      span.count++;
      span.totalMs += entry.duration;
      span.maxMs = Math.max(span.maxMs, entry.duration);
    }
  }).observe({ type: 'measure' });
  let lastKeyAt = 0;
  addEventListener(
    'keydown',
    (event) => {
      lastKeyAt = epoch(event.timeStamp);
      if (!armed) return;
      const start = event.timeStamp;
      afterPaint().then((painted) => latencies.push(painted - start));
    },
    true,
  );
  const length = () => {
    const el = content();
    return el === null ? -1 : Number(el.getAttribute('data-length'));
  };
  let textarea = null;
  window.__bench = {
    arm(on) {
      armed = on;
      if (on) {
        latencies.length = 0;
        eventDurations.length = 0;
        for (const name of Object.keys(spans)) delete spans[name];
        armedAt = performance.now();
        disarmedAt = Infinity;
      } else {
        disarmedAt = performance.now();
      }
      return true;
    },
    latencies: () => latencies.slice(),
    /** Event Timing durations of the armed keydowns at or over 16 ms (the API reports no shorter ones). */
    eventDurations: () => eventDurations.slice(),
    spans: () => JSON.parse(JSON.stringify(spans)),
    lastKeyAt: () => lastKeyAt,
    length,
    focusEditorEnd() {
      const el = content();
      el.focus();
      return true;
    },
    /** Resolves with the wall time (ms since the epoch) of the frame that first shows length n. */
    whenLength(n) {
      return new Promise((resolve) => {
        const check = () => {
          if (length() !== n) return false;
          afterPaint().then((t) => resolve(epoch(t)));
          return true;
        };
        if (check()) return;
        const observer = new MutationObserver(() => {
          if (check()) observer.disconnect();
        });
        const watch = () => {
          const el = content();
          if (el === null) return setTimeout(watch, 10);
          observer.observe(el, { attributes: true, attributeFilter: ['data-length'] });
          if (check()) observer.disconnect();
        };
        watch();
      });
    },
    /** Paste text at the editor's caret as the clipboard does; ms until applied and until painted. */
    paste(text) {
      const el = content();
      el.focus();
      const data = new DataTransfer();
      data.setData('text/plain', text);
      const start = performance.now();
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
      const applied = performance.now();
      return afterPaint().then((painted) => ({
        startedAt: epoch(start),
        appliedMs: applied - start,
        paintedMs: painted - start,
      }));
    },
    /** The reference: a bare <textarea> holding the same text, caret at the end. */
    addTextarea(text) {
      textarea = document.createElement('textarea');
      textarea.setAttribute('aria-label', 'reference textarea');
      textarea.style.width = '600px';
      textarea.style.height = '320px';
      textarea.value = text;
      document.body.prepend(textarea);
      textarea.focus();
      textarea.setSelectionRange(text.length, text.length);
      return true;
    },
    removeTextarea() {
      textarea?.remove();
      textarea = null;
      return true;
    },
  };
  return true;
})()`;

/** Polled while a page loads (the probe is not there yet): [editor length or -1, ms since navigation, progress shown]. */
export const LOAD_STATE = `(() => {
  const el = document.getElementById('text-editor')?.shadowRoot?.querySelector('.cm-content') ?? null;
  return [el === null ? -1 : Number(el.getAttribute('data-length')), performance.now(), document.querySelector('[data-testid="first-sync"]') !== null];
})()`;

/** Per engine: the converged badge's state ("converged", "differs", ...). */
export const BADGES = `(() => Object.fromEntries(
  [...document.querySelectorAll('[data-testid^="converged-"][data-state]')].map((el) => [
    el.getAttribute('data-testid').slice('converged-'.length),
    el.getAttribute('data-state'),
  ]),
))()`;
