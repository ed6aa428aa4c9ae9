/**
 * The page's first script. It starts the window's replica worker before anything else loads, then the
 * window's session (platform.ts: the config; session.ts: the worker's 'init') and the app's bundle
 * (main.tsx) at once, as dynamic imports: the worker's module, its store read and its host's import run
 * while the page loads and evaluates React and the app, instead of after them. Only the worker's start
 * module is a static import here (`src/renderer/test/page-imports.test.ts` checks that it stays so).
 */
import './styles.css';
import { createReplicaWorker, startReplicaWorker } from './worker/replica-worker-start.ts';

const worker = startReplicaWorker(createReplicaWorker);

const session = Promise.all([import('./platform.ts'), import('./session.ts')]).then(
  async ([{ detectPlatform }, { startSession }]) => startSession(await detectPlatform(), worker),
);
// Not started after all (no config, no client): the worker has nothing to do.
session.catch(() => worker.terminate());

import('./main.tsx').then(
  ({ mountApp }) => mountApp(session),
  (error: unknown) => {
    const status = document.querySelector('.boot p');
    if (status !== null) status.textContent = `The app could not load: ${String(error)}`;
  },
);
