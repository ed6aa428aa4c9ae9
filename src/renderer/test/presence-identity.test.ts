import { describe, expect, it } from 'vitest';
import { cleanName, hueColour, validColour } from '../logic/presence-identity.ts';

describe('presence identity', () => {
  it('cleans names, turns hues into colours, and checks stored colours', () => {
    expect(cleanName('Al\u0000ice\n')).toBe('Alice');
    expect(cleanName('x'.repeat(100))).toHaveLength(40);
    expect(hueColour(0)).toBe('#ca2b2b');
    expect(hueColour(120)).toMatch(/^#[0-9a-f]{6}$/);
    expect(validColour('#00ff00', '#111111')).toBe('#00ff00');
    expect(validColour('red', '#111111')).toBe('#111111');
    expect(validColour(null, '#111111')).toBe('#111111');
  });
});
