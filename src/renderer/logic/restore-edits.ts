/**
 * Restoring an earlier version is a new edit, never a rewrite of history: the intents that take the
 * workspace from what the primary engine shows now to what it showed then, field by field (the text by a
 * character diff, so only what changed is touched and concurrent typing elsewhere in it survives). What
 * no intent can do (take a grow-only counter down) is said, not done.
 */
import type { Intent, WorkspaceSchema } from '@converge/replica';
import diff from 'fast-diff';

export interface RestorePlan {
  /** In order: each applies to the state the previous one left. */
  readonly intents: readonly Intent[];
  /** What could not be restored, in words. */
  readonly unrestorable: readonly string[];
}

export function restoreEdits(schema: WorkspaceSchema, now: object, then: object): RestorePlan {
  const intents: Intent[] = [];
  const unrestorable: string[] = [];
  const push = (intent: Record<string, unknown>) => intents.push(intent as unknown as Intent);
  for (const field of schema.fieldsOf('text')) {
    const current = String(schema.valueIn(now, field) ?? '');
    const target = String(schema.valueIn(then, field) ?? '');
    // Back to front, so every position refers to text the earlier intents did not move.
    let pos = current.length;
    const segments = diff(current, target).reverse();
    for (const [op, chunk] of segments) {
      if (op === diff.EQUAL) pos -= chunk.length;
      else if (op === diff.DELETE) {
        pos -= chunk.length;
        push({ op: `${field.name}.delete`, pos, len: chunk.length });
      } else push({ op: `${field.name}.insert`, pos, text: chunk });
    }
  }
  for (const field of schema.fieldsOf('cart')) {
    const current = (schema.valueIn(now, field) ?? {}) as Readonly<Record<string, number>>;
    const target = (schema.valueIn(then, field) ?? {}) as Readonly<Record<string, number>>;
    for (const product of [...new Set([...Object.keys(current), ...Object.keys(target)])].sort()) {
      const want = Object.hasOwn(target, product) ? target[product] : undefined;
      const have = Object.hasOwn(current, product) ? current[product] : undefined;
      if (want === have) continue;
      if (want === undefined) push({ op: `${field.name}.remove`, product });
      else push({ op: `${field.name}.setQuantity`, product, qty: Math.max(0, want) });
    }
  }
  for (const field of schema.counters()) {
    const by = Number(schema.valueIn(then, field) ?? 0) - Number(schema.valueIn(now, field) ?? 0);
    if (by === 0) continue;
    if (by < 0 && field.kind === 'counter')
      unrestorable.push(`${field.label} only grows: it stays at its current value`);
    else push({ op: 'counter.increment', name: field.name, by });
  }
  for (const field of schema.fieldsOf('register')) {
    const current = (schema.valueIn(now, field) ?? []) as readonly string[];
    const target = (schema.valueIn(then, field) ?? []) as readonly string[];
    if (current.length === target.length && current.every((v, i) => v === target[i])) continue;
    push({ op: `${field.name}.set`, value: target[0] ?? '' });
  }
  return { intents, unrestorable };
}
