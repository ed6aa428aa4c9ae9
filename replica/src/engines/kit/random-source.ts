/**
 * Session identities (Yjs client ids, Automerge actor ids) must be fresh for every engine instance:
 * a replica that reloads from its store may have lost its newest edits while peers kept them, and
 * reusing an old identity would then produce two different edits under one id. The randomness is
 * injectable (EngineContext.randomUint32) so seeded runs replay exactly; the default is the
 * platform's CSPRNG (globalThis.crypto exists in browsers, Electron and Node ≥ 19).
 */
import type { EngineContext } from '../../engine.ts';

export function randomUint32Of(ctx: EngineContext): () => number {
  if (ctx.randomUint32) {
    const source = ctx.randomUint32;
    return () => {
      const value = source();
      if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
        throw new RangeError(`randomUint32 returned ${value}, not an unsigned 32-bit integer`);
      }
      return value;
    };
  }
  return () => globalThis.crypto.getRandomValues(new Uint32Array(1))[0] as number;
}
