/**
 * The page's first script. It starts the window's replica worker before anything else loads, asks for web
 * mode's config (platform/config-request.ts), then loads, as dynamic imports, the window's session (platform.ts: the config; session.ts: the worker's 'init')
 * and then the app's bundle (main.tsx): the worker's module, its host's import and its store read run
 * while the page loads and evaluates React and the app, instead of after them. Only the worker's start
 * module, the store's guess and the config's request are static imports here (`test/replica-worker-start.test.ts` checks that
 * it stays so).
 */
import './styles.css';
import { requestWebConfig } from './platform/config-request.ts';
import { createReplicaWorker, startReplicaWorker } from './worker/replica-worker-start.ts';
import { guessStoreName } from './worker/store-hint.ts';

// The worker starts reading the store this page will likely open (its address names it) at once.
const storeGuess = guessStoreName(
  window.location.href,
  (window as { converge?: unknown }).converge !== undefined,
);
const worker = startReplicaWorker(() => createReplicaWorker(storeGuess));
// Web mode's config, on its way while the session's code loads (the session needs it for 'init').
const configRequest = requestWebConfig(window as { converge?: unknown }, (input, init) => fetch(input, init));

const sessionCode = Promise.all([import('./platform.ts'), import('./session.ts')]);
const session = sessionCode.then(async ([{ detectPlatform }, { startSession }]) =>
  startSession(await detectPlatform(configRequest), worker),
);
// Not started after all (no config, no client): the worker has nothing to do.
session.catch(() => worker.terminate());

// The app's bundle (React and the whole UI, most of the page's script) after the session's code: the
// page's thread parses and runs that first, so the worker gets its 'init' sooner, and the bundle then
// loads while the config is fetched and the worker reads its store.
sessionCode
  .then(
    () => import('./main.tsx'),
    () => import('./main.tsx'),
  )
  .then(
    ({ mountApp }) => mountApp(session),
    (error: unknown) => {
      const status = document.querySelector('.boot p');
      if (status !== null) status.textContent = `The app could not load: ${String(error)}`;
    },
  );
