/**
 * Room credentials for the app's own windows. Main (Electron) and the web-mode server hold the relay's
 * admin credential — the admin token they generated for the embedded relay, or the one configured for a
 * remote relay (its admin token, or a room credential with admin rights) — and never hand it to a
 * window. Each window gets a credential that names its own replica id in the app's room.
 */

/** What a window may do in its room: sync (read, write) and drive the network panel (admin). */
export const WINDOW_RIGHTS = ['read', 'write', 'admin'] as const;
