/**
 * Order lines: what a checkout buys, product → quantity. Kept as a sorted list of pairs (canonical, JSON
 * friendly, and free of the prototype keys a plain object would inherit).
 */

export type Line = readonly [product: string, quantity: number];
export type Lines = readonly Line[];

export const MAX_PRODUCT_LENGTH = 100;
export const MAX_LINES = 100;
export const MAX_LINE_QUANTITY = 1_000_000;

/**
 * Lines from a cart as an engine shows it: positive quantities only (a CRDT cart can show a line at 0 or
 * below after concurrent "one less" edits; there is nothing to buy there), one line per product, sorted.
 */
export function linesFromCart(cart: Readonly<Record<string, number>>): Lines {
  const lines: Line[] = [];
  for (const [product, quantity] of Object.entries(cart)) {
    if (Number.isSafeInteger(quantity) && quantity > 0) lines.push([product, quantity]);
  }
  return sortLines(lines);
}

function sortLines(lines: Line[]): Lines {
  return lines.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Why `lines` cannot be checked out, or undefined when they can. */
export function linesProblem(lines: Lines): string | undefined {
  if (lines.length === 0) return 'the cart is empty';
  if (lines.length > MAX_LINES) return `at most ${MAX_LINES} lines per order`;
  const seen = new Set<string>();
  for (const [product, quantity] of lines) {
    if (product.length === 0 || product.length > MAX_PRODUCT_LENGTH)
      return `product names are 1–${MAX_PRODUCT_LENGTH} characters`;
    if (seen.has(product)) return `${product} appears twice`;
    seen.add(product);
    if (!Number.isSafeInteger(quantity) || quantity < 1 || quantity > MAX_LINE_QUANTITY)
      return `${product}: the quantity must be a whole number from 1 to ${MAX_LINE_QUANTITY}`;
  }
  return undefined;
}

/** The same lines, whatever order they were listed in. */
export function sameLines(a: Lines, b: Lines): boolean {
  if (a.length !== b.length) return false;
  const sortedA = sortLines([...a]);
  const sortedB = sortLines([...b]);
  return sortedA.every(([product, quantity], i) => {
    const other = sortedB[i] as Line;
    return other[0] === product && other[1] === quantity;
  });
}

/** "2 × kiwi, 1 × lamp" */
export function describeLines(lines: Lines): string {
  return lines.map(([product, quantity]) => `${quantity} × ${product}`).join(', ');
}
