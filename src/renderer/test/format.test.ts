import { describe, expect, it } from 'vitest';
import { formatBytes, formatSkew, formatValue, replicaHue, siblingKeys } from '../logic/format.ts';

describe('format helpers', () => {
  it('formats sizes, skews and values', () => {
    expect(formatBytes(999)).toBe('999 B');
    expect(formatBytes(2048)).toBe('2.0 KB');
    expect(formatSkew(0)).toBe('0');
    expect(formatSkew(-250)).toBe('−250 ms');
    expect(formatSkew(60_000)).toBe('+60 s');
    expect(formatSkew(1500)).toBe('+1.5 s');
    expect(formatValue(null)).toBe('removed');
    expect(formatValue('a'.repeat(100))).toHaveLength(60);
  });

  it('gives each replica a stable hue and repeated siblings distinct keys', () => {
    expect(replicaHue('alice')).toBe(replicaHue('alice'));
    expect(replicaHue('alice')).toBeGreaterThanOrEqual(0);
    expect(replicaHue('alice')).toBeLessThan(360);
    expect(siblingKeys(['x', 'y', 'x']).map((k) => k.key)).toEqual(['0:x', '0:y', '1:x']);
  });
});
