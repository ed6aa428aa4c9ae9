/**
 * Who may talk to the relay: the Host a request names, the browser origin it comes from, and the
 * credential it carries.
 *
 * - Host: a DNS-rebinding page reaches 127.0.0.1 under its own host name, so every HTTP request and
 *   WebSocket upgrade must name one of the configured hosts (default 127.0.0.1, localhost and [::1],
 *   with the relay's port).
 * - Origin: a page from another site must not drive a local relay (a WebSocket or a "simple" POST
 *   needs no CORS preflight), so requests carrying an Origin header are only accepted from localhost
 *   origins or an explicit allow-list.
 * - Credential: nothing is trusted for where it connects from, loopback included. The admin token
 *   may do everything; a room credential only what its rights allow in its room.
 */
import type { Right } from '@converge/protocol';
import type { Credential } from './credentials.ts';

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

/** The host names every local server answers to. */
export const LOOPBACK_HOST_NAMES: readonly string[] = ['127.0.0.1', 'localhost', '[::1]'];

/** `name` or `name:port` (IPv6 in brackets) → lower-case name and port (undefined when absent). */
function splitHost(value: string): { name: string; port: string | undefined } | undefined {
  const match = /^(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(?::(\d{1,5}))?$/i.exec(value.trim());
  if (match === null) return undefined;
  return { name: (match[1] as string).toLowerCase(), port: match[2] };
}

export class HostPolicyError extends Error {
  override readonly name = 'HostPolicyError';
}

/**
 * The Host header values a server accepts: each configured name with the server's port, or with the
 * port it names itself (`name:port`, e.g. behind a proxy). Anything else is refused (DNS rebinding).
 */
export class HostPolicy {
  private readonly accepted: ReadonlySet<string>;

  constructor(names: readonly string[], port: number) {
    const accepted = new Set<string>();
    for (const entry of names) {
      const host = splitHost(entry);
      if (host === undefined) throw new HostPolicyError(`not a host name: ${JSON.stringify(entry)}`);
      accepted.add(`${host.name}:${host.port ?? port}`);
    }
    this.accepted = accepted;
  }

  /** Whether a request's Host header names this server. A missing port means 80. */
  allows(hostHeader: string | undefined): boolean {
    if (hostHeader === undefined) return false;
    const host = splitHost(hostHeader);
    return host !== undefined && this.accepted.has(`${host.name}:${host.port ?? '80'}`);
  }

  /** The accepted `name:port` values (for errors and logs). */
  list(): string[] {
    return [...this.accepted].sort();
  }
}

/** The host names a server bound to `bindHost` answers to: loopback, the bound address, and `extra`. */
export function hostNamesFor(bindHost: string, extra: readonly string[]): string[] {
  const names = [...LOOPBACK_HOST_NAMES, ...extra];
  const wildcard = bindHost === '0.0.0.0' || bindHost === '::' || bindHost === '';
  if (!wildcard) names.push(bindHost.includes(':') && !bindHost.startsWith('[') ? `[${bindHost}]` : bindHost);
  return names;
}

/** Who an admin request or a hello is from, once its credential checked out. */
export type Principal =
  | { readonly kind: 'relay-admin' }
  | { readonly kind: 'room'; readonly credential: Credential };

/** Whether `principal` holds `right` in `room` (the admin token holds every right everywhere). */
export function holds(principal: Principal, room: string, right: Right): boolean {
  return (
    principal.kind === 'relay-admin' ||
    (principal.credential.room === room && principal.credential.rights.includes(right))
  );
}
