import { describe, expect, it } from 'vitest';
import {
  APP_ENTRY_URL,
  contentSecurityPolicy,
  createAppUrlPolicy,
  cspSource,
  decideNavigation,
  decidePermission,
  decideWindowOpen,
  secureWebPreferences,
  securityHeaders,
} from '../security.ts';

function directives(csp: string): Map<string, string[]> {
  const map = new Map<string, string[]>();
  for (const part of csp.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/);
    if (name !== undefined && name !== '') map.set(name, sources);
  }
  return map;
}

describe('webPreferences', () => {
  it('isolates and sandboxes every window, with node off everywhere', () => {
    const prefs = secureWebPreferences('/app/out/preload/index.cjs');
    expect(prefs).toMatchObject({
      preload: '/app/out/preload/index.cjs',
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    });
  });
});

describe('Content-Security-Policy', () => {
  const csp = contentSecurityPolicy({ connectTo: ['ws://127.0.0.1:4455/', 'http://127.0.0.1:4455'] });
  const d = directives(csp);

  it('allows scripts only from our origin: no inline script, no eval', () => {
    const script = d.get('script-src')!;
    expect(script).toContain("'self'");
    expect(script).not.toContain("'unsafe-inline'");
    expect(script).not.toContain("'unsafe-eval'");
    expect(script.filter((s) => !["'self'", "'wasm-unsafe-eval'"].includes(s))).toEqual([]);
    expect(d.get('style-src')).toEqual(["'self'"]);
    expect(d.get('default-src')).toEqual(["'none'"]);
    expect(d.get('object-src')).toEqual(["'none'"]);
    expect(d.get('frame-ancestors')).toEqual(["'none'"]);
    expect(d.get('base-uri')).toEqual(["'none'"]);
  });

  it('connects only to our origin and the relay', () => {
    expect(d.get('connect-src')).toEqual(["'self'", 'ws://127.0.0.1:4455', 'http://127.0.0.1:4455']);
  });

  it('relaxes inline script and style only in development', () => {
    const dev = directives(contentSecurityPolicy({ connectTo: [], dev: true }));
    expect(dev.get('script-src')).toContain("'unsafe-inline'");
    expect(dev.get('script-src')).not.toContain("'unsafe-eval'");
  });

  it('cannot be broken out of by a hostile relay URL', () => {
    expect(cspSource('wss://relay.example:8443/path?x=1;script-src *')).toBe('wss://relay.example:8443');
    expect(() => cspSource('javascript:alert(1)')).toThrow(/cannot allow/);
    expect(() => cspSource('not a url')).toThrow();
  });

  it('travels with the other hardening headers', () => {
    expect(securityHeaders(csp)).toMatchObject({
      'Content-Security-Policy': csp,
      'X-Content-Type-Options': 'nosniff',
    });
  });
});

describe('navigation, window.open and permissions', () => {
  it('denies every navigation, including to our own origin', () => {
    for (const url of [
      'https://evil.example/',
      'file:///etc/passwd',
      APP_ENTRY_URL,
      'http://127.0.0.1:5173/',
    ]) {
      const decision = decideNavigation(url);
      expect(decision.allow, url).toBe(false);
    }
    expect(decideNavigation('https://evil.example/')).toMatchObject({
      reason: expect.stringContaining('evil'),
    });
  });

  it('denies every window.open', () => {
    expect(decideWindowOpen('https://example.com')).toMatchObject({ action: 'deny' });
    expect(decideWindowOpen(APP_ENTRY_URL).action).toBe('deny');
  });

  it('grants local network access to the app only and denies every other permission', () => {
    const isApp = createAppUrlPolicy();
    expect(decidePermission('local-network-access', APP_ENTRY_URL, isApp).granted).toBe(true);
    expect(decidePermission('local-network-access', 'https://evil.example/', isApp).granted).toBe(false);
    for (const p of ['media', 'geolocation', 'notifications', 'openExternal', 'clipboard-read']) {
      expect(decidePermission(p, APP_ENTRY_URL, isApp).granted, p).toBe(false);
    }
  });
});

describe('app URL policy', () => {
  it('recognises the app origin and, in development, the dev server', () => {
    const prod = createAppUrlPolicy();
    expect(prod(APP_ENTRY_URL)).toBe(true);
    expect(prod('converge://app/assets/x.js?y#z')).toBe(true);
    expect(prod('converge://other/index.html')).toBe(false);
    expect(prod('http://localhost:5173/')).toBe(false);
    expect(prod('file:///index.html')).toBe(false);
    expect(prod('not a url')).toBe(false);
    const dev = createAppUrlPolicy('http://localhost:5173');
    expect(dev('http://localhost:5173/index.html')).toBe(true);
    expect(dev('http://localhost:5174/')).toBe(false);
    expect(dev('http://127.0.0.1:5173/')).toBe(false);
  });
});
