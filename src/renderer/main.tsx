/**
 * Renderer entry: find out where we run (platform.ts), open this window's replica, render the app.
 * Until the replica is open (its store loaded) a start screen shows; a failure shows what went wrong.
 */
import { errorMessage } from '@converge/protocol';
import { StrictMode, useEffect, useState } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App.tsx';
import { detectPlatform } from './platform.ts';
import { type Session, startSession } from './session.ts';
import './styles.css';

type BootState =
  | { readonly phase: 'starting' }
  | { readonly phase: 'ready'; readonly session: Session }
  | { readonly phase: 'failed'; readonly message: string };

let booting: Promise<Session> | undefined;

/** One session per page, even when React runs effects twice (StrictMode in development). */
function boot(): Promise<Session> {
  booting ??= detectPlatform().then(startSession);
  return booting;
}

function Boot() {
  const [state, setState] = useState<BootState>({ phase: 'starting' });
  useEffect(() => {
    let live = true;
    boot().then(
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
  }, []);
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

const root = document.getElementById('root');
if (root !== null) {
  createRoot(root).render(
    <StrictMode>
      <Boot />
    </StrictMode>,
  );
}
