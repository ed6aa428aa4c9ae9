/**
 * What the workspace's input fields accept. Input is refused with a message shown next to the field,
 * never silently changed into something else (0 or −5 into 1, 2.5 into 2, 1e9 into 999, an empty note
 * into a blank one).
 */

/** The largest quantity the cart's fields take: more is far likelier a slip of the keyboard than a purchase. */
export const MAX_QUANTITY = 999;

export type Checked<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly message: string };

/**
 * A cart quantity typed into a field: a whole number from 1 to MAX_QUANTITY. `raw` is the input's
 * value; `badInput` is the browser's own verdict for a number input whose text is not a number (its
 * value is then '').
 */
export function checkQuantity(raw: string, badInput = false): Checked<number> {
  const text = raw.trim();
  if (badInput) return { ok: false, message: 'Enter a whole number, like 3.' };
  if (text === '') return { ok: false, message: 'Enter a quantity.' };
  const n = Number(text);
  if (!Number.isFinite(n))
    return { ok: false, message: `${text} is not a number; enter a whole number, like 3.` };
  if (!Number.isInteger(n)) return { ok: false, message: `A quantity is a whole number; ${text} is not.` };
  if (n < 1) return { ok: false, message: `A quantity is at least 1; ${formatNumber(n)} is not.` };
  if (n > MAX_QUANTITY) {
    return { ok: false, message: `A quantity is at most ${MAX_QUANTITY}; ${formatNumber(n)} is more.` };
  }
  return { ok: true, value: n };
}

/** A note to set: anything but empty (or only spaces), which would blank the note for everyone. */
export function checkNote(raw: string): Checked<string> {
  if (raw.trim() === '') {
    return { ok: false, message: 'Write something first: an empty note would blank it for every replica.' };
  }
  return { ok: true, value: raw };
}

/** −5 as "−5" (a real minus sign), 1e9 as "1,000,000,000". */
function formatNumber(n: number): string {
  return n.toLocaleString('en').replace('-', '−');
}
