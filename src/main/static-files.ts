/**
 * Map a request path to a file inside the built renderer folder, refusing anything that would
 * leave it (.., encoded dots or slashes, backslashes, NUL, symlinks pointing outside).
 * Used by the web-mode HTTP server and by the Electron app protocol handler.
 */
import { realpath, stat } from 'node:fs/promises';
import { extname, isAbsolute, relative, resolve, sep } from 'node:path';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.webp': 'image/webp',
  '.woff2': 'font/woff2',
  '.woff': 'font/woff',
  '.txt': 'text/plain; charset=utf-8',
};

export type StaticLookup =
  | { readonly kind: 'file'; readonly path: string; readonly contentType: string; readonly size: number }
  | { readonly kind: 'not-found'; readonly reason: string };

const MAX_PATH_LENGTH = 1024;

/** Resolve a URL pathname (`/`, `/assets/app.js`, still percent-encoded) to a regular file under `root`. */
export async function resolveStaticFile(root: string, pathname: string): Promise<StaticLookup> {
  const notFound = (reason: string): StaticLookup => ({ kind: 'not-found', reason });
  if (pathname.length > MAX_PATH_LENGTH) return notFound('path too long');
  if (!pathname.startsWith('/')) return notFound('path must start with /');
  let decoded: string;
  try {
    decoded = decodeURIComponent(pathname);
  } catch {
    return notFound('malformed percent-encoding');
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return notFound('illegal character in path');
  const segments = decoded.split('/').slice(1);
  if (segments.some((s) => s === '..' || s === '.')) return notFound('dot segment in path');
  const relativePath = decoded === '/' ? 'index.html' : segments.join('/');

  const base = resolve(root);
  const candidate = resolve(base, relativePath);
  if (!isInside(base, candidate)) return notFound('path leaves the root');
  try {
    // Resolve symlinks on both sides so a link inside the folder cannot point outside it.
    const realBase = await realpath(base);
    const real = await realpath(candidate);
    if (!isInside(realBase, real)) return notFound('path leaves the root');
    const info = await stat(real);
    if (!info.isFile()) return notFound('not a file');
    const contentType = CONTENT_TYPES[extname(real).toLowerCase()] ?? 'application/octet-stream';
    return { kind: 'file', path: real, contentType, size: info.size };
  } catch {
    return notFound('no such file');
  }
}

function isInside(base: string, candidate: string): boolean {
  const rel = relative(base, candidate);
  // On Windows a path on another drive comes back absolute.
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}
