import { describe, expect, it } from 'vitest';
import { checkNote, checkQuantity, MAX_QUANTITY } from '../logic/input-checks.ts';

describe('cart quantities', () => {
  it('takes whole numbers from 1 to the maximum', () => {
    expect(checkQuantity('1')).toEqual({ ok: true, value: 1 });
    expect(checkQuantity(' 12 ')).toEqual({ ok: true, value: 12 });
    expect(checkQuantity(String(MAX_QUANTITY))).toEqual({ ok: true, value: MAX_QUANTITY });
  });

  it('refuses, with a message, what it used to turn into something else', () => {
    // The cases: 0 and −5 became 1, 1e9 became 999, 2.5 became 2.
    expect(checkQuantity('0')).toEqual({ ok: false, message: 'A quantity is at least 1; 0 is not.' });
    expect(checkQuantity('-5')).toEqual({ ok: false, message: 'A quantity is at least 1; −5 is not.' });
    expect(checkQuantity('1e9')).toEqual({
      ok: false,
      message: 'A quantity is at most 999; 1,000,000,000 is more.',
    });
    expect(checkQuantity('2.5')).toEqual({ ok: false, message: 'A quantity is a whole number; 2.5 is not.' });
    expect(checkQuantity('')).toEqual({ ok: false, message: 'Enter a quantity.' });
    expect(checkQuantity('', true)).toEqual({ ok: false, message: 'Enter a whole number, like 3.' });
    expect(checkQuantity('abc').ok).toBe(false);
    expect(checkQuantity('Infinity').ok).toBe(false);
  });
});

describe('notes', () => {
  it('refuses an empty note instead of blanking it', () => {
    expect(checkNote('')).toMatchObject({ ok: false });
    expect(checkNote('   ')).toMatchObject({ ok: false });
    expect(checkNote(' ship Monday ')).toEqual({ ok: true, value: ' ship Monday ' });
  });
});
