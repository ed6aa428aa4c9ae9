/**
 * Answers "which changes does this peer lack" for Automerge from this replica's own document: its
 * change graph knows which of the peer's heads we have and which of our changes they cover.
 */
import * as A from '@automerge/automerge';
import type { HeadsResolver } from './versions.ts';

/** `current` returns the replica's current document (read-only use). */
export function automergeHeadsResolver(current: () => A.Doc<unknown>): HeadsResolver {
  return {
    unknown: (heads) => {
      const doc = current();
      return heads.filter((head) => {
        try {
          return !A.hasHeads(doc, [head]);
        } catch {
          return true; // not even a well-formed hash
        }
      });
    },
    changesNotIn: (heads) => A.getChangesMetaSince(current(), [...heads]).length,
  };
}
