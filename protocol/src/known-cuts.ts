/**
 * What a node knows of its room's link table from the relay's cuts frames (frames.ts): which nodes reach
 * each other. Nothing until the first cuts frame of a connection: then it cannot tell.
 */
import type { CutLink } from './frames.ts';

// Ids never contain spaces (frames.ts), so a space separates the two ends unambiguously.
const key = (from: string, to: string): string => `${from} ${to}`;

export class KnownCuts {
  private cuts: Set<string> | undefined;

  /** The room's cut links as the latest cuts frame lists them (all of them: it replaces what was known). */
  learn(links: readonly CutLink[]): void {
    this.cuts = new Set(links.map((link) => key(link.from, link.to)));
  }

  /** The connection ended: until the next cuts frame, nothing is known. */
  forget(): void {
    this.cuts = undefined;
  }

  /** Whether frames from `from` reach `to`: both directed links up (undefined: not known). */
  linked(from: string, to: string): boolean | undefined {
    const { cuts } = this;
    if (cuts === undefined) return undefined;
    return cuts.size === 0 || (!cuts.has(key(from, to)) && !cuts.has(key(to, from)));
  }
}
