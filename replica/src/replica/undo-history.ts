/**
 * This replica's undo and redo: its own edits, in steps grouped by time (consecutive edits of one field
 * within `groupMs` of each other make one step, as Y.UndoManager's capture timeout does), the same steps
 * for every engine. An engine with an undo of its own (NativeUndo) is told where steps begin and undoes
 * them itself; for every other engine a step keeps the runtime's intent-level reversals (undo/reversal.ts),
 * computed from what that engine showed before each edit and placed, when undone, in its text as it is
 * then. An undo or a redo is a new edit, stored and synced like any other; other replicas' edits stay.
 */
import type { EngineName } from '../engine-name.ts';
import type { FieldEdit, TextEdit, WorkspaceSchema } from '../schema.ts';
import {
  mergeReversals,
  placeReversal,
  type Reversal,
  textReversal,
  valueReversal,
} from '../undo/reversal.ts';
import type { Intent, WorkspaceView } from '../workspace.ts';

/** What one engine does to undo (or redo) a step. */
type StepPart = { readonly native: true } | { readonly native: false; readonly reversals: Reversal[] };

interface Step {
  readonly field: string;
  /** When the step's last edit was made (replica clock). */
  at: number;
  readonly parts: Map<EngineName, StepPart>;
  /** An edit from elsewhere came in since its last edit: the next one must not merge into it. */
  sealed: boolean;
}

/** Steps kept; older ones are forgotten (Y.UndoManager keeps all; a bound keeps memory bounded). */
export const MAX_UNDO_STEPS = 200;
export const DEFAULT_UNDO_GROUP_MS = 500;

export interface UndoHost {
  readonly schema: WorkspaceSchema;
  /** Whether an engine undoes natively; and its native undo's step boundary. */
  native(name: EngineName): boolean;
  stopCapturing(name: EngineName): void;
  /** What the engine shows now. */
  view(name: EngineName): WorkspaceView;
  now(): number;
}

export class UndoHistory {
  private readonly undoStack: Step[] = [];
  private readonly redoStack: Step[] = [];
  /** Set by undo/redo: the next edit starts a new step. */
  private boundary = true;

  constructor(
    private readonly host: UndoHost,
    private readonly groupMs: number,
  ) {}

  get canUndo(): boolean {
    return this.undoStack.length > 0;
  }

  get canRedo(): boolean {
    return this.redoStack.length > 0;
  }

  /**
   * A local edit of `field` is about to be applied: whether it starts a new step (then every native
   * engine is told, before the edit reaches it).
   */
  beginEdit(field: string, engines: readonly EngineName[]): void {
    const last = this.undoStack[this.undoStack.length - 1];
    const now = this.host.now();
    const fresh = this.boundary || last === undefined || last.field !== field || now - last.at > this.groupMs;
    if (fresh) {
      for (const name of engines) if (this.host.native(name)) this.host.stopCapturing(name);
      this.undoStack.push({ field, at: now, parts: new Map(), sealed: false });
      if (this.undoStack.length > MAX_UNDO_STEPS) this.undoStack.shift();
      this.boundary = false;
    }
    this.redoStack.length = 0;
  }

  /**
   * The edit was applied: per engine, the intents it received, what it showed before them, and whether
   * it changed. Engines that failed are left out by the caller.
   */
  recordEdit(
    plan: ReadonlyMap<EngineName, readonly Intent[]>,
    before: ReadonlyMap<EngineName, WorkspaceView>,
    changed: ReadonlySet<EngineName>,
  ): void {
    const step = this.undoStack[this.undoStack.length - 1];
    if (step === undefined) return;
    for (const [name, intents] of plan) {
      const view = before.get(name);
      if (this.host.native(name)) {
        if (changed.has(name)) step.parts.set(name, { native: true });
        continue;
      }
      if (view === undefined) continue;
      const part = step.parts.get(name) ?? { native: false, reversals: [] };
      if (part.native) continue;
      const edits = intents.map((intent) => this.host.schema.edit(intent));
      for (const reversal of reversalsOf(this.host.schema, view, edits)) {
        const previous = part.reversals[part.reversals.length - 1];
        const merged = step.sealed || previous === undefined ? undefined : mergeReversals(previous, reversal);
        if (merged === undefined) part.reversals.push(reversal);
        else part.reversals[part.reversals.length - 1] = merged;
      }
      if (part.reversals.length > 0) step.parts.set(name, part);
    }
    step.at = this.host.now();
    step.sealed = false;
    if (step.parts.size === 0) this.undoStack.pop();
  }

  /**
   * The edit announced by `beginEdit` was refused before any engine took it: drop the step it opened if it
   * holds nothing (the redo stack it cleared stays cleared, as after any attempted edit).
   */
  abandonEdit(): void {
    const step = this.undoStack[this.undoStack.length - 1];
    if (step !== undefined && step.parts.size === 0) this.undoStack.pop();
  }

  /** An edit from another replica arrived: the current step's text reversals stop growing. */
  remoteEdit(): void {
    const step = this.undoStack[this.undoStack.length - 1];
    if (step !== undefined) step.sealed = true;
  }

  /** Take the newest step to undo (or redo); `finish` puts its reverse on the other stack. */
  take(direction: 'undo' | 'redo'): Step | undefined {
    this.boundary = true;
    return (direction === 'undo' ? this.undoStack : this.redoStack).pop();
  }

  /**
   * Carry out a step taken with `take`: each engine's part, through `apply` (which applies one edit to
   * one engine, reporting a failure rather than throwing) or the native undo/redo. Its reverse goes on
   * the other stack.
   */
  revert(
    step: Step,
    direction: 'undo' | 'redo',
    run: {
      native(name: EngineName): boolean;
      apply(name: EngineName, edit: FieldEdit): boolean;
    },
  ): void {
    const back: Step = { field: step.field, at: this.host.now(), parts: new Map(), sealed: true };
    for (const [name, part] of step.parts) {
      if (part.native) {
        if (run.native(name)) back.parts.set(name, part);
        continue;
      }
      const reversals: Reversal[] = [];
      for (const reversal of [...part.reversals].reverse()) {
        for (const edit of placeReversal(this.host.schema, reversal, this.host.view(name))) {
          const view = this.host.view(name);
          const [inverse] = reversalsOf(this.host.schema, view, [edit]);
          if (run.apply(name, edit) && inverse !== undefined) reversals.push(inverse);
        }
      }
      if (reversals.length > 0) back.parts.set(name, { native: false, reversals });
    }
    if (back.parts.size > 0) (direction === 'undo' ? this.redoStack : this.undoStack).push(back);
  }

  clear(): void {
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.boundary = true;
  }
}

/** The reversals of edits applied one after the other to a workspace that showed `before`. */
function reversalsOf(
  schema: WorkspaceSchema,
  before: WorkspaceView,
  edits: readonly FieldEdit[],
): Reversal[] {
  const reversals: Reversal[] = [];
  const texts = new Map<string, string>();
  for (const edit of edits) {
    if (edit.kind === 'text') {
      const declared = schema.field(edit.field);
      const text =
        texts.get(edit.field) ?? (declared === undefined ? '' : String(schema.valueIn(before, declared)));
      const reversal = textReversal(text, edit as TextEdit);
      texts.set(edit.field, (reversal as { textAfter: string }).textAfter);
      reversals.push(reversal);
    } else {
      const reversal = valueReversal(schema, before, edit);
      if (reversal !== undefined) reversals.push(reversal);
    }
  }
  return reversals;
}
