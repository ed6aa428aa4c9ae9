/**
 * Replaying a scenario file in a window (the export is session-recorder.ts).
 *
 * A window replays the steps of ONE of the file's replicas (the one it "plays", by default the replica
 * with this window's id, else the first): its edits, offline/online and skew steps, in order. Steps of
 * other replicas and network-wide steps (partition, heal, chaos, sync, restart) belong to other windows
 * or to the scenario runner and are listed as skipped, with the reason. A live room cannot be reset to a
 * file's start state: the plan says when a file carries one (the runner replays such files exactly).
 */
import type { Intent } from '@converge/replica';
import {
  isAuthorityStep,
  isCheckoutStep,
  isEditStep,
  isHistoryStep,
  parseScenarioText,
  type Scenario,
  type Step,
} from '@converge/scenarios/format';

export { parseScenarioText, type Scenario, type Step };

export type ReplayAction =
  | { readonly kind: 'edit'; readonly index: number; readonly intent: Intent }
  | { readonly kind: 'offline'; readonly index: number; readonly offline: boolean }
  | { readonly kind: 'skew'; readonly index: number; readonly ms: number }
  | { readonly kind: 'history'; readonly index: number; readonly op: 'undo' | 'redo' };

export interface SkippedStep {
  /** 0-based index in the file's steps. */
  readonly index: number;
  readonly step: Step;
  readonly reason: string;
}

export interface ReplayPlan {
  /** The file's replica this window plays. */
  readonly playing: string;
  /** The file starts from a recorded room state, which a live room cannot load. */
  readonly carriesStart: boolean;
  readonly actions: readonly ReplayAction[];
  readonly skipped: readonly SkippedStep[];
}

/** Which of the file's replicas a window plays by default: its own id if listed, else the first. */
export function defaultRole(scenario: Scenario, replicaId: string): string {
  return scenario.replicas.includes(replicaId) ? replicaId : (scenario.replicas[0] as string);
}

export function planReplay(scenario: Scenario, playing: string): ReplayPlan {
  if (!scenario.replicas.includes(playing)) {
    throw new RangeError(`replica ${playing} is not one of ${scenario.replicas.join(', ')}`);
  }
  const actions: ReplayAction[] = [];
  const skipped: SkippedStep[] = [];
  for (const [index, step] of scenario.steps.entries()) {
    const reason = skipReason(step, playing);
    if (reason !== undefined) {
      skipped.push({ index, step, reason });
    } else if (isEditStep(step)) {
      const { replica: _replica, ...intent } = step;
      actions.push({ kind: 'edit', index, intent: intent as Intent });
    } else if (isHistoryStep(step)) {
      actions.push({ kind: 'history', index, op: step.op });
    } else if ('offline' in step || 'online' in step) {
      actions.push({ kind: 'offline', index, offline: 'offline' in step });
    } else if ('skew' in step) {
      actions.push({ kind: 'skew', index, ms: step.skew.ms });
    }
  }
  return { playing, carriesStart: scenario.start !== undefined, actions, skipped };
}

/** Why a window playing `playing` does not replay `step`, or undefined when it does. */
function skipReason(step: Step, playing: string): string | undefined {
  if (isEditStep(step)) return step.replica === playing ? undefined : `an edit of replica ${step.replica}`;
  if (isHistoryStep(step))
    return step.replica === playing ? undefined : `an ${step.op} of replica ${step.replica}`;
  if ('offline' in step || 'online' in step) {
    const who = 'offline' in step ? step.offline : step.online;
    return who === playing ? undefined : `connection of replica ${who}`;
  }
  if ('skew' in step) {
    return step.skew.replica === playing ? undefined : `clock skew of replica ${step.skew.replica}`;
  }
  if ('restart' in step) return 'restarts are run by the scenario runner';
  if (isCheckoutStep(step)) return 'checkouts are run by the scenario runner (or from the Checkout tab)';
  if (isAuthorityStep(step)) return "the checkout authority's stock and faults are set from the Checkout tab";
  if ('sync' in step) return 'the live network syncs by itself';
  return 'network-wide steps (partition, heal, chaos) are set from the Network panel';
}

/** One line describing a step, for the replay report. */
export function describeStep(step: Step): string {
  if (isEditStep(step)) {
    const { replica, op, ...rest } = step;
    return `${replica}: ${op} ${JSON.stringify(rest)}`;
  }
  return JSON.stringify(step);
}

/** What replaying needs from the window (the app model provides it). */
export interface ReplayTarget {
  /** Resolves false when the edit was refused (e.g. a position beyond this window's text). */
  apply(intent: Intent): Promise<boolean>;
  setOffline(offline: boolean): void;
  setSkew(ms: number): Promise<void>;
  /** Resolves false when there was nothing to undo or redo. */
  undo(): Promise<boolean>;
  redo(): Promise<boolean>;
}

export interface ReplayOutcome {
  readonly index: number;
  readonly ok: boolean;
}

/**
 * Run a plan's actions in order, `pauseMs` apart (so the other windows can be watched reacting). An edit
 * that does not fit this window's state is reported and the replay goes on. `shouldStop` ends it early.
 */
export async function replay(
  plan: ReplayPlan,
  target: ReplayTarget,
  options: {
    readonly pauseMs: number;
    readonly sleep: (ms: number) => Promise<void>;
    readonly onOutcome?: (outcome: ReplayOutcome) => void;
    readonly shouldStop?: () => boolean;
  },
): Promise<ReplayOutcome[]> {
  const outcomes: ReplayOutcome[] = [];
  for (const [i, action] of plan.actions.entries()) {
    if (options.shouldStop?.() === true) break;
    if (i > 0 && options.pauseMs > 0) await options.sleep(options.pauseMs);
    let ok = true;
    if (action.kind === 'edit') ok = await target.apply(action.intent);
    else if (action.kind === 'history') ok = await (action.op === 'undo' ? target.undo() : target.redo());
    else if (action.kind === 'offline') target.setOffline(action.offline);
    else await target.setSkew(action.ms);
    const outcome = { index: action.index, ok };
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  }
  return outcomes;
}
