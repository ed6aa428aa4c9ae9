/** A scenario's chaos step in the relay's terms: the runner's relay world and the app's replay set it. */
import type { ChaosSettings } from '@converge/replica';

/** A scenario's chaos step as the relay's admin API takes it (PUT /rooms/:room/chaos). */
export function relayChaosConfig(chaos: ChaosSettings & { seed?: number }): {
  dropRate: number;
  duplicateRate: number;
  jitterMs: number;
  reorderWindow: number;
  seed: number;
} {
  return {
    dropRate: chaos.drop ?? 0,
    duplicateRate: chaos.duplicate ?? 0,
    jitterMs: chaos.delayMs ?? 0,
    // A reorder probability p lets a frame be overtaken by about p/(1−p) later ones.
    reorderWindow: Math.max(1, Math.min(64, Math.round(1 / (1 - Math.min(chaos.reorder ?? 0, 0.98))))),
    seed: chaos.seed ?? 0,
  };
}
