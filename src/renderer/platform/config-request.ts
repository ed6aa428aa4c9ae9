/**
 * Web mode's /config.json, asked for by the page's first script (start.ts) before the session's code
 * loads: the request then overlaps that load instead of following it. A window's 'init' waits for its
 * config, and a reopened window's text for its 'init' (bench/README.md, "Reopen and a new window, fourth
 * pass"). In Electron the preload's API gives the config: nothing is requested.
 */

/** The response to GET /config.json, or why there is none (web.ts reads and checks it). */
export type ConfigRequest = Promise<Response>;

interface PageLike {
  readonly converge?: unknown;
}

export function requestWebConfig(
  page: PageLike,
  fetchConfig: (input: string, init: RequestInit) => Promise<Response>,
): ConfigRequest | undefined {
  if (page.converge !== undefined) return undefined;
  const request = fetchConfig('/config.json', { cache: 'no-store' });
  // Not read at all if the session's code fails to load: that failure is the one shown.
  request.catch(() => {});
  return request;
}
