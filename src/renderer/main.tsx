/**
 * The app's module, loaded by the page's first script (start.ts) once that has started the window's
 * replica worker and its session (platform.ts, then session.ts): render the app over that session.
 * Until the replica is open (its store loaded) a start screen shows; a failure shows what went wrong.
 */
import { errorMessage } from '@converge/protocol';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import type { Session } from './session.ts';

type BootState =
  | { readonly phase: 'starting' }
  | { readonly phase: 'ready'; readonly session: Session }
  | { readonly phase: 'failed'; readonly message: string };

/** `session` is the page's one session (start.ts), even when React runs effects twice (StrictMode). */
function Boot({ session: starting }: { readonly session: Promise<Session> }) {
  const [state, setState] = useState<BootState>({ phase: 'starting' });
  useEffect(() => {
    let live = true;
    starting.then(
      (session) => {
        if (live) setState({ phase: 'ready', session });
        // Hidden or going away: what the store has queued is written now, not after the writes in flight
        // (the page may not get that long). Going away for good (not into the back-forward cache, from
        // which it may come back alive) also releases the store and the relay connection.
        document.addEventListener('visibilitychange', () => {
          if (document.visibilityState === 'hidden') session.flush();
        });
        window.addEventListener('pagehide', (event) => {
          session.flush();
          if (!event.persisted) void session.close();
        });
      },
      (error: unknown) => {
        if (live) setState({ phase: 'failed', message: errorMessage(error) });
      },
    );
    return () => {
      live = false;
    };
  }, [starting]);
  if (state.phase === 'ready') return <App session={state.session} />;
  return (
    <div className="boot" role="status">
      <h1>Converge</h1>
      {state.phase === 'starting' ? (
        <p>Opening this window's replica…</p>
      ) : (
        <>
          <p className="error-text">The replica could not start: {state.message}</p>
          <p className="muted">Check that the app (or `npm run web`) is running, then reload this page.</p>
        </>
      )}
    </div>
  );
}

/** Render the app into #root over the window's session (started before this module loaded). */
export function mountApp(session: Promise<Session>): void {
  const root = document.getElementById('root');
  if (root === null) return;
  createRoot(root).render(
    <StrictMode>
      <Boot session={session} />
    </StrictMode>,
  );
}
