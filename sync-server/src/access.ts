/**
 * Who may talk to the relay: loopback binding, tokens and browser origins.
 *
 * A relay bound to loopback trusts the machine (unless a token is set anyway); bound to any other
 * address, both admin calls and joins need the token. Browser pages from other sites must not drive
 * a local relay (a WebSocket or a "simple" POST needs no CORS preflight), so requests carrying an
 * Origin header are only accepted from localhost origins or an explicit allow-list.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '');
  return h === 'localhost' || h === '::1' || /^127(\.\d{1,3}){3}$/.test(h) || h === '::ffff:127.0.0.1';
}

/** http(s) pages served from localhost, 127.0.0.1 or [::1], any port. */
export function isLocalOrigin(origin: string): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return (url.protocol === 'http:' || url.protocol === 'https:') && isLoopbackHost(url.hostname);
}

export class OriginPolicy {
  private readonly extra: ReadonlySet<string>;

  constructor(allowedOrigins: readonly string[]) {
    this.extra = new Set(allowedOrigins);
  }

  /** Requests without an Origin header come from non-browser clients and are allowed. */
  allows(origin: string | undefined): boolean {
    return origin === undefined || isLocalOrigin(origin) || this.extra.has(origin);
  }
}

const digest = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/** Compares tokens in constant time (hashing first so lengths do not leak either). */
export class TokenCheck {
  private readonly expected: Buffer | undefined;

  constructor(token: string | undefined) {
    this.expected = token === undefined || token === '' ? undefined : digest(token);
  }

  get required(): boolean {
    return this.expected !== undefined;
  }

  admits(token: string | undefined): boolean {
    if (this.expected === undefined) return true;
    if (token === undefined) return false;
    return timingSafeEqual(this.expected, digest(token));
  }
}
