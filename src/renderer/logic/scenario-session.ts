/**
 * A window's session as a scenario file (scenarios/src/scenario.ts), and the plan for replaying one.
 *
 * Export: the recorder keeps, in order, what this window's user did that the format can express: edits
 * (consecutive typing and deleting coalesced into one step), offline/online, clock skew, and the network
 * presets and chaos set from this window. Cutting one directed link has no scenario step; it is counted
 * and reported as left out.
 *
 * Import: a window replays the steps of ONE of the file's replicas (the one it "plays", by default the
 * replica with this window's id, else the first): its edits, offline/online and skew steps, in order.
 * Steps of other replicas and network-wide steps (partition, heal, chaos, sync, restart) belong to other
 * windows or to the scenario runner and are listed as skipped, with the reason.
 */
import type { Intent } from '@converge/replica';
import {
  type EditStep,
  isEditStep,
  parseScenario,
  parseScenarioText,
  type Scenario,
  type Step,
} from '@converge/scenarios/src/scenario.ts';

export { parseScenarioText, type Scenario, type Step };

/** The scenario format's chaos step (rates 0..1, delay as a uniform extra delay up to delayMs). */
export interface ScenarioChaos {
  readonly drop?: number;
  readonly duplicate?: number;
  readonly reorder?: number;
  readonly delayMs?: number;
  readonly seed?: number;
}

/** A scenario file as written to disk. */
export interface ScenarioFile {
  readonly name: string;
  readonly room?: string;
  readonly replicas: string[];
  readonly steps: Step[];
}

const NODE_ID = /^[A-Za-z0-9_.-]{1,64}$/;
const MAX_REPLICAS = 16;

export class SessionRecorder {
  private readonly steps: Step[] = [];
  private readonly seen = new Set<string>();
  private readonly omitted: string[] = [];

  constructor(readonly replicaId: string) {}

  /** A local edit of this window (positions against the primary engine's text, as applied). */
  edit(intent: Intent): void {
    const step = { replica: this.replicaId, ...intent } as EditStep;
    if (!this.coalesce(step)) this.steps.push(step);
  }

  offline(offline: boolean): void {
    this.steps.push(offline ? { offline: this.replicaId } : { online: this.replicaId });
  }

  skew(ms: number): void {
    const last = this.steps[this.steps.length - 1];
    // Dragging a slider produces many values; only the one it settled on matters.
    if (last !== undefined && 'skew' in last && last.skew.replica === this.replicaId) this.steps.pop();
    this.steps.push({ skew: { replica: this.replicaId, ms } });
  }

  partition(groups: readonly (readonly string[])[]): void {
    const named = groups.map((group) => group.filter((id) => NODE_ID.test(id))).filter((g) => g.length > 0);
    if (named.length < 2) {
      this.omit(`partition ${JSON.stringify(groups)} (node ids outside the scenario format)`);
      return;
    }
    for (const group of named) for (const id of group) this.seen.add(id);
    this.steps.push({ partition: named });
  }

  heal(): void {
    this.steps.push({ heal: true });
  }

  chaos(chaos: ScenarioChaos): void {
    const last = this.steps[this.steps.length - 1];
    if (last !== undefined && 'chaos' in last) this.steps.pop();
    this.steps.push({ chaos: { ...chaos } });
  }

  /** Something the user did that the format cannot express (e.g. cutting a single directed link). */
  omit(description: string): void {
    this.omitted.push(description);
  }

  /** Another replica this session met (listed in the file so partitions may name it). */
  sawPeer(id: string): void {
    if (NODE_ID.test(id)) this.seen.add(id);
  }

  get stepCount(): number {
    return this.steps.length;
  }

  /** What was left out of the export, oldest first. */
  get omittedActions(): readonly string[] {
    return this.omitted;
  }

  /** The session as a scenario file; validated against the format (throws ScenarioError if it cannot be). */
  toScenario(name: string, room?: string): ScenarioFile {
    const replicas = [this.replicaId, ...[...this.seen].filter((id) => id !== this.replicaId).sort()];
    if (replicas.length > MAX_REPLICAS) {
      throw new RangeError(
        `a scenario names at most ${MAX_REPLICAS} replicas; this session met ${replicas.length}`,
      );
    }
    const file: ScenarioFile = {
      name,
      ...(room !== undefined && NODE_ID.test(room) ? { room } : {}),
      replicas,
      steps: this.steps.map((step) => structuredClone(step)),
    };
    parseScenario(file);
    return file;
  }

  /** Merge typing into the previous step: inserts that continue it, backspaces and deletes next to it. */
  private coalesce(step: EditStep): boolean {
    const last = this.steps[this.steps.length - 1];
    if (last === undefined || !isEditStep(last) || last.replica !== step.replica) return false;
    if (last.op === 'text.insert' && step.op === 'text.insert' && step.pos === last.pos + last.text.length) {
      this.steps[this.steps.length - 1] = { ...last, text: last.text + step.text };
      return true;
    }
    if (last.op === 'text.delete' && step.op === 'text.delete') {
      if (step.pos + step.len === last.pos) {
        // Backspace again: the new range ends where the previous one started.
        this.steps[this.steps.length - 1] = { ...last, pos: step.pos, len: last.len + step.len };
        return true;
      }
      if (step.pos === last.pos) {
        // Forward delete again: the text closed up, the next range starts at the same place.
        this.steps[this.steps.length - 1] = { ...last, len: last.len + step.len };
        return true;
      }
    }
    return false;
  }
}

export type ReplayAction =
  | { readonly kind: 'edit'; readonly index: number; readonly intent: Intent }
  | { readonly kind: 'offline'; readonly index: number; readonly offline: boolean }
  | { readonly kind: 'skew'; readonly index: number; readonly ms: number };

export interface SkippedStep {
  /** 0-based index in the file's steps. */
  readonly index: number;
  readonly step: Step;
  readonly reason: string;
}

export interface ReplayPlan {
  /** The file's replica this window plays. */
  readonly playing: string;
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
    } else if ('offline' in step || 'online' in step) {
      actions.push({ kind: 'offline', index, offline: 'offline' in step });
    } else if ('skew' in step) {
      actions.push({ kind: 'skew', index, ms: step.skew.ms });
    }
  }
  return { playing, actions, skipped };
}

/** Why a window playing `playing` does not replay `step`, or undefined when it does. */
function skipReason(step: Step, playing: string): string | undefined {
  if (isEditStep(step)) return step.replica === playing ? undefined : `an edit of replica ${step.replica}`;
  if ('offline' in step || 'online' in step) {
    const who = 'offline' in step ? step.offline : step.online;
    return who === playing ? undefined : `connection of replica ${who}`;
  }
  if ('skew' in step) {
    return step.skew.replica === playing ? undefined : `clock skew of replica ${step.skew.replica}`;
  }
  if ('restart' in step) return 'restarts are run by the scenario runner';
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
    else if (action.kind === 'offline') target.setOffline(action.offline);
    else await target.setSkew(action.ms);
    const outcome = { index: action.index, ok };
    outcomes.push(outcome);
    options.onOutcome?.(outcome);
  }
  return outcomes;
}
