/**
 * Engines for testing the explorer itself, built on the replica runtime's toy engine (a grow-only set of
 * operations replayed in Lamport order, synced by version vectors):
 *
 * - `SoundToyEngine`: its vector counts, per replica, only the operations it holds without a gap, so an
 *   operation lost on the way (chaos drops frames) is asked for again; and "one less" or a removal of a
 *   cart line it does not show does nothing, as in every engine. (The plain toy, made for the replica's
 *   plumbing tests, does neither; the explorer reports both as bugs: replicas that stay apart under
 *   chaos, and a line that loses a step its replica never saw.)
 * - `DroppingToyEngine`: the planted bug. It drops every third update it receives from a peer, yet counts
 *   the operations in it as held, so it never asks for them again.
 */
import { type EngineChange, type EngineDescriptor, EngineRegistry, type Intent } from '@converge/replica';
import { ToyEngine, type ToyOp, type ToySession, toyDescriptor } from '@converge/replica/testing';

export class SoundToyEngine extends ToyEngine {
  /** Operations this engine counts as held (all it merged, and whatever a subclass claims). */
  protected readonly held = new Set<string>();

  override apply(intent: Intent): void {
    const takesAway = intent.op === 'cart.decrement' || intent.op === 'cart.remove';
    if (takesAway && !(intent.product in this.view().cart)) return;
    super.apply(intent);
  }

  override vector(): Record<string, number> {
    const vector: Record<string, number> = {};
    const replicas = new Set([...this.held].map((key) => key.slice(0, key.lastIndexOf('@'))));
    for (const replica of replicas) {
      let n = 0;
      while (this.held.has(`${replica}@${n + 1}`)) n++;
      if (n > 0) vector[replica] = n;
    }
    return vector;
  }

  override merge(
    ops: readonly ToyOp[],
    origin: EngineChange['origin'],
    source: ToySession | undefined,
  ): void {
    for (const op of ops) this.held.add(`${op.replica}@${op.seq}`);
    super.merge(ops, origin, source);
  }
}

export class DroppingToyEngine extends SoundToyEngine {
  private remoteUpdates = 0;

  override merge(
    ops: readonly ToyOp[],
    origin: EngineChange['origin'],
    source: ToySession | undefined,
  ): void {
    if (origin === 'remote' && ++this.remoteUpdates % 3 === 0) {
      for (const op of ops) this.held.add(`${op.replica}@${op.seq}`);
      return;
    }
    super.merge(ops, origin, source);
  }
}

/** The toy engines' names, as `--engines` names them. */
export const TOY_NAMES = ['toy-a', 'toy-b'] as const;

/**
 * Two toy engines side by side, registered through a registry alone: the first sound, the second sound
 * too or with the planted bug.
 */
export function toyEngines(planted: boolean): EngineRegistry {
  const [a, b] = TOY_NAMES;
  const descriptor = (name: string, wireCode: number, Toy: typeof SoundToyEngine): EngineDescriptor => ({
    ...toyDescriptor(name, { wireCode }),
    create: (ctx) => new Toy(name, ctx),
  });
  return new EngineRegistry([
    descriptor(a, 200, SoundToyEngine),
    descriptor(b, 201, planted ? DroppingToyEngine : SoundToyEngine),
  ]);
}
