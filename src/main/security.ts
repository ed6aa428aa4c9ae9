/**
 * The app's security decisions as plain data and pure functions; index.ts wires them into Electron
 * and web-mode.ts uses the same Content-Security-Policy.
 *
 * The renderer is served from a custom privileged scheme (converge://app/...) rather than file://,
 * so it has a real origin that IPC sender checks and the CSP can name.
 */

export const APP_SCHEME = 'converge';
export const APP_HOST = 'app';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** BrowserWindow webPreferences for every replica window (a subset of Electron's type, spelled out). */
export interface SecureWebPreferences {
  readonly preload: string;
  readonly contextIsolation: true;
  readonly sandbox: true;
  readonly nodeIntegration: false;
  readonly nodeIntegrationInWorker: false;
  readonly nodeIntegrationInSubFrames: false;
  readonly webSecurity: true;
  readonly allowRunningInsecureContent: false;
  readonly webviewTag: false;
  readonly experimentalFeatures: false;
  readonly navigateOnDragDrop: false;
  readonly safeDialogs: true;
}

export function secureWebPreferences(preloadPath: string): SecureWebPreferences {
  return {
    preload: preloadPath,
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    experimentalFeatures: false,
    navigateOnDragDrop: false,
    safeDialogs: true,
  };
}

export interface CspOptions {
  /** Origins the renderer may connect to besides its own: the relay (ws) and its admin API (http). */
  readonly connectTo: readonly string[];
  /**
   * Development only (Vite dev server): React Fast Refresh injects an inline module script and Vite
   * injects <style> tags for hot CSS, so the dev policy allows inline scripts and styles. Never set
   * for a built renderer.
   */
  readonly dev?: boolean;
}

/**
 * The renderer's Content-Security-Policy. Scripts only from our own origin; 'wasm-unsafe-eval'
 * allows compiling WebAssembly (Automerge is a WASM module) and nothing else: no eval, no inline
 * script. Connections only to our origin and the relay.
 */
export function contentSecurityPolicy(options: CspOptions): string {
  const connect = ["'self'", ...new Set(options.connectTo.map(cspSource))];
  const script = ["'self'", "'wasm-unsafe-eval'", ...(options.dev === true ? ["'unsafe-inline'"] : [])];
  const style = ["'self'", ...(options.dev === true ? ["'unsafe-inline'"] : [])];
  const directives: [string, ...string[]][] = [
    ['default-src', "'none'"],
    ['script-src', ...script],
    ['style-src', ...style],
    ['img-src', "'self'", 'data:', 'blob:'],
    ['font-src', "'self'"],
    ['connect-src', ...connect],
    ['worker-src', "'self'"],
    ['manifest-src', "'self'"],
    ['object-src', "'none'"],
    ['frame-src', "'none'"],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
    ['frame-ancestors', "'none'"],
  ];
  return directives.map((d) => d.join(' ')).join('; ');
}

/** A URL reduced to the origin a CSP source expression names; rejects anything that could inject a directive. */
export function cspSource(url: string): string {
  const parsed = new URL(url);
  if (!['ws:', 'wss:', 'http:', 'https:'].includes(parsed.protocol)) {
    throw new Error(`cannot allow connections to ${parsed.protocol} URLs`);
  }
  // URL parsing leaves only host characters here, so no ';' or spaces can reach the policy.
  return `${parsed.protocol}//${parsed.host}`;
}

/** Headers every renderer response carries (Electron protocol handler and web mode). */
export function securityHeaders(csp: string): Record<string, string> {
  return {
    'Content-Security-Policy': csp,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'X-Frame-Options': 'DENY',
  };
}

/**
 * Whether a URL is our renderer: the app origin, or the Vite dev server's origin in development.
 * Used for IPC sender checks and for navigation.
 */
export function createAppUrlPolicy(devServerUrl?: string): (url: string) => boolean {
  const origins = new Set<string>([APP_ORIGIN]);
  if (devServerUrl !== undefined) origins.add(new URL(devServerUrl).origin);
  return (url) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      return false;
    }
    // Standard custom schemes get a real origin from the URL parser: converge://app.
    const origin = parsed.protocol === `${APP_SCHEME}:` ? `${APP_SCHEME}://${parsed.host}` : parsed.origin;
    return origins.has(origin);
  };
}

export type NavigationDecision =
  | { readonly allow: false; readonly reason: string }
  | { readonly allow: true };

/**
 * will-navigate / will-redirect: the renderer is a single page and never navigates. Even our own
 * origin is refused (a reload does not pass through here), so no link, form or script can take a
 * replica window anywhere.
 */
export function decideNavigation(url: string): NavigationDecision {
  return { allow: false, reason: `navigation to ${truncate(url)} blocked: replica windows never navigate` };
}

/** setWindowOpenHandler: every window.open / target=_blank is denied; new windows come from the menu. */
export function decideWindowOpen(url: string): { readonly action: 'deny'; readonly reason: string } {
  return { action: 'deny', reason: `window.open(${truncate(url)}) blocked` };
}

/**
 * Chromium's Local Network Access asks before a page reaches loopback or private addresses, and the
 * relay lives on 127.0.0.1 (or a LAN host): those two are granted, to our own renderer only.
 */
const NETWORK_PERMISSIONS: ReadonlySet<string> = new Set([
  'loopback-network',
  'local-network-access',
  'local-network',
]);

/** Permission requests and checks: only network access to the relay, only for our renderer. */
export function decidePermission(
  permission: string,
  requestingUrl: string,
  isAppUrl: (url: string) => boolean,
): { readonly granted: boolean; readonly reason: string } {
  if (NETWORK_PERMISSIONS.has(permission) && isAppUrl(requestingUrl)) {
    return { granted: true, reason: `${permission} granted to the app (the relay is on the local network)` };
  }
  return {
    granted: false,
    reason: `permission ${JSON.stringify(permission)} denied to ${truncate(requestingUrl)}`,
  };
}

function truncate(text: string): string {
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
