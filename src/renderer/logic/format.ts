/** Small display helpers shared by the panels. */

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

/** hh:mm:ss.mmm in local time. */
export function formatTime(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number, width = 2): string => String(n).padStart(width, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
}

/** A signed duration for the clock skew control: "+1.5 s", "−250 ms", "0". */
export function formatSkew(ms: number): string {
  if (ms === 0) return '0';
  const sign = ms > 0 ? '+' : '−';
  const abs = Math.abs(ms);
  return abs >= 1000 ? `${sign}${(abs / 1000).toFixed(abs % 1000 === 0 ? 0 : 1)} s` : `${sign}${abs} ms`;
}

/** An unsigned duration: "57.4 s", "250 ms", "2 s". */
export function formatDuration(ms: number): string {
  const abs = Math.abs(ms);
  return abs >= 1000 ? `${(abs / 1000).toFixed(abs % 1000 === 0 ? 0 : 1)} s` : `${abs} ms`;
}

/** A value of a write or a view for display: strings quoted, null as "removed". */
export function formatValue(value: string | number | null): string {
  if (value === null) return 'removed';
  if (typeof value === 'number') return String(value);
  const shown = value.length > 60 ? `${value.slice(0, 57)}…` : value;
  return JSON.stringify(shown);
}

/** A stable, readable colour per replica id (hue from a string hash), for dots and accents. */
export function replicaHue(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0) % 360;
}

/** Concurrent writes of one value are separate siblings: keys that tell repeated values apart. */
export function siblingKeys(values: readonly string[]): { key: string; value: string }[] {
  const seen = new Map<string, number>();
  return values.map((value) => {
    const n = seen.get(value) ?? 0;
    seen.set(value, n + 1);
    return { key: `${n}:${value}`, value };
  });
}
