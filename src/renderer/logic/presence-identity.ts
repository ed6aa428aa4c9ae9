/**
 * Who is at this window, as it tells the others: a display name the user sets (kept in the origin's
 * localStorage, so a reload and later windows keep it) and a colour (by default the replica's hue, the
 * colour its header already wears).
 */
import { MAX_PRESENCE_NAME_LENGTH } from '@converge/protocol';

export const NAME_STORAGE_KEY = 'converge.presence.name';
export const COLOUR_STORAGE_KEY = 'converge.presence.colour';

/** A name as it may be announced: trimmed of control characters and cut to the limit. */
export function cleanName(name: string): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what it removes
  return name.replace(/[\u0000-\u001f\u007f]/g, '').slice(0, MAX_PRESENCE_NAME_LENGTH);
}

/** `#rrggbb` for an HSL hue at the saturation and lightness the header uses (65%, 48%). */
export function hueColour(hue: number): string {
  const s = 0.65;
  const l = 0.48;
  const a = s * Math.min(l, 1 - l);
  const channel = (n: number): string => {
    const k = (n + hue / 30) % 12;
    const value = l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
    return Math.round(value * 255)
      .toString(16)
      .padStart(2, '0');
  };
  return `#${channel(0)}${channel(8)}${channel(4)}`;
}

/** A stored colour when it is valid, else the fallback. */
export function validColour(stored: string | null, fallback: string): string {
  return stored !== null && /^#[0-9a-f]{6}$/.test(stored) ? stored : fallback;
}
