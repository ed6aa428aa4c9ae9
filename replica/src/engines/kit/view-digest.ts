/**
 * A stable digest of a normalized WorkspaceView: FNV-1a 64 over its canonical JSON (object keys
 * sorted at every level). Two views have the same digest exactly when their canonical JSON is equal
 * (up to hash collisions), whatever order an engine happened to produce keys in.
 */
import type { WorkspaceView } from '../../workspace.ts';
import { fnv1a64Hex } from './fnv1a64.ts';

const utf8 = new TextEncoder();

/** JSON with object keys sorted recursively; arrays keep their order. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    const json = JSON.stringify(value);
    if (json === undefined) throw new TypeError(`cannot canonicalize a ${typeof value}`);
    return json;
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .sort()
    .filter((key) => (value as Record<string, unknown>)[key] !== undefined)
    .map((key) => `${JSON.stringify(key)}:${canonicalJson((value as Record<string, unknown>)[key])}`);
  return `{${entries.join(',')}}`;
}

/** 16 hex digits identifying the view's content. */
export function viewDigest(view: WorkspaceView): string {
  return fnv1a64Hex(utf8.encode(canonicalJson(view)));
}
