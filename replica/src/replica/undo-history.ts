/**
 * This replica's undo and redo: its own edits, in steps grouped by time (consecutive edits of one field
 * within `groupMs` of each other make one step, as Y.UndoManager's capture timeout does), the same steps
 * for every engine. An engine with an undo of its own (NativeUndo) is told where steps begin and undoes
 * them itself; for every other engine a step keeps the runtime's reversals: for text, spans and points
 * that follow that engine's text deltas (undo/text-reversal.ts: O(edit) per keystroke, never a whole
 * text), for the other fields the intent-level inverse of undo/reversal.ts. An undo or a redo is a new
 * edit, stored and synced like any other; other replicas' edits stay. An engine that takes an edit later
 * than the others (still loading, or behind on a large edit) adds its part to the edit's step when it
 * does (`realisation`): every step stays whole across the engines.
 */
import type { EngineName } from '../engine-name.ts';
import type { FieldEdit, WorkspaceSchema } from '../schema.ts';
import type { TextChange } from '../text-delta.ts';
import { placeReversal, type ValueReversal, valueReversal } from '../undo/reversal.ts';
import { catchUp, type LoggedDelta, mergeTextReversals, type TextReversal } from '../undo/text-reversal.ts';
import type { Intent, WorkspaceView } from '../workspace.ts';

type Reversal = TextReversal | ValueReversal;

/** What one engine does to undo (or redo) a step. */
type StepPart = { readonly native: true } | { readonly native: false; readonly reversals: Reversal[] };

/** Every native part is alike: one object. */
const NATIVE_PART: StepPart = Object.freeze({ native: true });

interface Step {
  readonly field: string;
  /** When the step's last edit was made (replica clock). */
  at: number;
  readonly parts: Map<EngineName, StepPart>;
  /** An edit from elsewhere came in since its last edit: the next one must not merge into it. */
  sealed: boolean;
}

/**
 * A step as the replica holds it for an intent deferred to engines loading or behind (opaque): what
 * those engines' realisation of the intent changes joins it (`realised`), so the step stays whole.
 */
export type UndoStep = Step;

/** Steps kept; older ones are forgotten (Y.UndoManager keeps all; a bound keeps memory bounded). */
export const MAX_UNDO_STEPS = 200;
export const DEFAULT_UNDO_GROUP_MS = 500;
/** An engine's text log is folded into the reversals waiting on it once it holds this many deltas. */
export const TEXT_LOG_LIMIT = 1024;

export interface UndoHost {
  readonly schema: WorkspaceSchema;
  /** Whether an engine undoes natively; and its native undo's step boundary. */
  native(name: EngineName): boolean;
  stopCapturing(name: EngineName): void;
  /** What the engine shows now (read for cart, counter and note edits only). */
  view(name: EngineName): WorkspaceView;
  textLength(name: EngineName, field: string): number;
  textSlice(name: EngineName, field: string, from: number, to: number): string;
  now(): number;
}

/** Per engine and text field, its deltas since `base` (the text's change count when the log was last folded). */
interface TextLog {
  base: number;
  deltas: LoggedDelta[];
}

export class UndoHistory {
  private readonly undoStack: Step[] = [];
  private readonly redoStack: Step[] = [];
  /** Set by undo/redo: the next edit starts a new step. */
  private boundary = true;
  private readonly logs = new Map<string, TextLog>();
  /** While an undo or redo runs (its step is off the stacks), logs are not folded. */
  private reverting = false;
  /** While a reversal is applied: the engine, and the log index of the delta it reverts (if one). */
  private applying: { readonly name: EngineName; readonly undoes: number | undefined } | undefined;
  /** Per engine, while a local edit runs: the text's change count before its current intent, and what it deletes. */
  private readonly pendingText = new Map<EngineName, { seq: number; deleted: string }>();
  /**
   * Per engine with a native undo, the step its native undo captures into now: an engine that takes a
   * deferred intent later is told a new step begins (stopCapturing) when the intent's step is another.
   */
  private readonly capturing = new Map<EngineName, Step>();

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

  /** An engine's text changed (any origin): reversals waiting on it follow these deltas when next used. */
  textChanged(name: EngineName, change: TextChange): void {
    if (this.host.native(name)) return;
    const log = this.logOf(name, change.field);
    const undoes = this.applying?.name === name ? this.applying.undoes : undefined;
    for (const delta of change.deltas) log.deltas.push(undoes === undefined ? delta : { ...delta, undoes });
    // Not in the middle of an edit or an undo (reversals off the stacks, or not yet made, need the log).
    if (log.deltas.length >= TEXT_LOG_LIMIT && !this.reverting && this.pendingText.size === 0)
      this.fold(name, change.field);
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
      const step: Step = { field, at: now, parts: new Map(), sealed: false };
      for (const name of engines) {
        if (!this.host.native(name)) continue;
        this.host.stopCapturing(name);
        this.capturing.set(name, step);
      }
      this.undoStack.push(step);
      if (this.undoStack.length > MAX_UNDO_STEPS) this.undoStack.shift();
      this.boundary = false;
    }
    // Only when it holds something: setting an array's length is a call into V8's runtime (~35 ns), even
    // on an empty array, and it is empty on almost every keystroke.
    if (this.redoStack.length > 0) this.redoStack.length = 0;
  }

  /**
   * Told around each intent an engine applies for the edit announced by `beginEdit`: a text intent's
   * reversal is made from the intent itself (and, for a deletion, the few characters it deletes).
   */
  readonly watch = {
    before: (name: EngineName, intent: Intent): void => {
      if (this.host.native(name)) return;
      const edit = this.host.schema.edit(intent);
      if (edit.kind !== 'text') return;
      const deleted =
        edit.action === 'delete' ? this.host.textSlice(name, edit.field, edit.pos, edit.pos + edit.len) : '';
      this.pendingText.set(name, { seq: this.seqOf(name, edit.field), deleted });
    },
    after: (name: EngineName, intent: Intent): void => {
      // Nothing pending (an engine with a native undo): no reversal to make, no map to touch.
      if (this.pendingText.size === 0) return;
      const step = this.undoStack[this.undoStack.length - 1];
      if (step !== undefined) this.recordText(step, name, intent, !step.sealed);
      else this.pendingText.delete(name);
    },
  };

  /**
   * What an engine that was loading or behind does when it takes an intent deferred for it, made in
   * `step` (recordEdit's result): told `begin` first, then around each intent it applies (`before` as in
   * `watch`; `after`: `chunk` says it continues the intent before it, one piece of the same edit), and
   * `end` with what it showed before (for a cart, counter or note edit) and whether it changed. Its
   * reversals (or its native step) join `step`: undoing the step undoes the edit in every engine.
   */
  readonly realisation = {
    begin: (step: Step | undefined, name: EngineName): void => {
      if (step === undefined || !this.host.native(name) || this.capturing.get(name) === step) return;
      this.host.stopCapturing(name);
      this.capturing.set(name, step);
    },
    before: (name: EngineName, intent: Intent): void => this.watch.before(name, intent),
    after: (step: Step | undefined, name: EngineName, intent: Intent, chunk: boolean): void => {
      if (step === undefined) this.pendingText.delete(name);
      else this.recordText(step, name, intent, chunk || !step.sealed);
    },
    end: (
      step: Step | undefined,
      name: EngineName,
      intent: Intent | undefined,
      before: WorkspaceView | undefined,
      changed: boolean,
    ): void => {
      this.pendingText.delete(name);
      if (step === undefined || intent === undefined) return;
      if (this.host.native(name)) {
        if (changed) step.parts.set(name, NATIVE_PART);
        return;
      }
      const edit = this.host.schema.edit(intent);
      if (before === undefined || edit.kind === 'text') return;
      const reversal = valueReversal(this.host.schema, before, edit);
      if (reversal === undefined) return;
      const part = step.parts.get(name) ?? { native: false, reversals: [] };
      if (part.native) return;
      part.reversals.push(reversal);
      step.parts.set(name, part);
    },
  };

  /** A text intent was applied to `name` in `step`: its reversal (merged into the last one when `merge` allows). */
  private recordText(step: Step, name: EngineName, intent: Intent, merge: boolean): void {
    const pending = this.pendingText.get(name);
    this.pendingText.delete(name);
    if (pending === undefined) return;
    const edit = this.host.schema.edit(intent);
    if (edit.kind !== 'text') return;
    const seq = this.seqOf(name, edit.field);
    const origin = seq === pending.seq + 1 ? { origin: pending.seq } : {};
    const reversal: TextReversal | undefined =
      edit.action === 'insert'
        ? edit.text.length === 0
          ? undefined
          : {
              kind: 'un-insert',
              field: edit.field,
              spans: [{ from: edit.pos, to: edit.pos + edit.text.length }],
              seq,
              ...origin,
            }
        : pending.deleted.length === 0
          ? undefined
          : {
              kind: 'un-delete',
              field: edit.field,
              at: edit.pos,
              after: false,
              text: pending.deleted,
              seq,
            };
    if (reversal === undefined) return;
    const part = step.parts.get(name) ?? { native: false, reversals: [] };
    if (part.native) return;
    step.parts.set(name, part);
    const previous = part.reversals[part.reversals.length - 1];
    if (merge && previous !== undefined && previous.kind !== 'value') {
      this.catchUp(name, previous, pending.seq);
      const merged = mergeTextReversals(previous, reversal);
      if (merged !== undefined) {
        part.reversals[part.reversals.length - 1] = merged;
        return;
      }
    }
    part.reversals.push(reversal);
  }

  /**
   * The edit was applied: per engine, the intents it received, what it showed before them (for a cart,
   * counter or note edit), and the engines it changed (`changed` lists them, in any order, as the changes
   * they made). `names`: the hosted engines, every key the plan may have. Engines that failed are left out
   * of the plan by the caller. Returns the step the edit belongs to
   * (undefined when it changed nothing here), for the engines it was deferred to (`realisation`).
   */
  recordEdit(
    names: readonly EngineName[],
    plan: ReadonlyMap<EngineName, readonly Intent[]>,
    before: ReadonlyMap<EngineName, WorkspaceView>,
    changed: readonly { readonly engine: EngineName }[],
  ): Step | undefined {
    // Only when it holds something: clearing a Map allocates a new table, once per keystroke otherwise.
    if (this.pendingText.size > 0) this.pendingText.clear();
    const step = this.undoStack[this.undoStack.length - 1];
    if (step === undefined) return undefined;
    // Every engine hosted is a key of the plan, in display order (HostedEngines.plan): by name, indexed,
    // no iterator per edit.
    for (let i = 0; i < names.length; i++) {
      const name = names[i] as EngineName;
      const intents = plan.get(name);
      if (intents === undefined) continue;
      if (this.host.native(name)) {
        if (listsEngine(changed, name)) step.parts.set(name, NATIVE_PART);
        continue;
      }
      const view = before.get(name);
      if (view === undefined) continue; // text: recorded by `watch`
      const part = step.parts.get(name) ?? { native: false, reversals: [] };
      if (part.native) continue;
      for (const intent of intents) {
        const edit = this.host.schema.edit(intent);
        if (edit.kind === 'text') continue;
        const reversal = valueReversal(this.host.schema, view, edit);
        if (reversal !== undefined) part.reversals.push(reversal);
      }
      if (part.reversals.length > 0) step.parts.set(name, part);
    }
    step.at = this.host.now();
    step.sealed = false;
    if (step.parts.size > 0) return step;
    this.undoStack.pop();
    return undefined;
  }

  /**
   * The edit announced by `beginEdit` was refused before any engine took it: drop the step it opened if it
   * holds nothing (the redo stack it cleared stays cleared, as after any attempted edit).
   */
  abandonEdit(): void {
    this.pendingText.clear();
    const step = this.undoStack[this.undoStack.length - 1];
    if (step !== undefined && step.parts.size === 0) this.undoStack.pop();
  }

  /** An edit from another replica arrived: the current step's text reversals stop growing. */
  remoteEdit(): void {
    const step = this.undoStack[this.undoStack.length - 1];
    if (step !== undefined) step.sealed = true;
  }

  /** Take the newest step to undo (or redo); `revert` puts its reverse on the other stack. */
  take(direction: 'undo' | 'redo'): Step | undefined {
    this.boundary = true;
    this.capturing.clear(); // native undos move their engines' stacks: the next step starts afresh
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
    this.reverting = true;
    try {
      for (const [name, part] of step.parts) {
        if (part.native) {
          if (run.native(name)) back.parts.set(name, part);
          continue;
        }
        const reversals: Reversal[] = [];
        back.parts.set(name, { native: false, reversals });
        for (const reversal of [...part.reversals].reverse()) {
          if (reversal.kind === 'value') this.revertValue(name, reversal, run.apply, reversals);
          else this.revertText(name, reversal, run.apply, reversals);
        }
        if (reversals.length === 0) back.parts.delete(name);
      }
    } finally {
      this.reverting = false;
    }
    if (back.parts.size > 0) (direction === 'undo' ? this.redoStack : this.undoStack).push(back);
  }

  clear(): void {
    this.undoStack.length = 0;
    this.redoStack.length = 0;
    this.boundary = true;
    for (const log of this.logs.values()) {
      log.base += log.deltas.length;
      log.deltas = [];
    }
  }

  private revertValue(
    name: EngineName,
    reversal: ValueReversal,
    apply: (name: EngineName, edit: FieldEdit) => boolean,
    inverses: Reversal[],
  ): void {
    for (const edit of placeReversal(this.host.schema, reversal, this.host.view(name))) {
      if (edit.kind === 'text') continue;
      const inverse = valueReversal(this.host.schema, this.host.view(name), edit);
      if (apply(name, edit) && inverse !== undefined) inverses.push(inverse);
    }
  }

  /** Undo an insertion (delete its spans, the last first) or a deletion (insert its text back). */
  private revertText(
    name: EngineName,
    reversal: TextReversal,
    apply: (name: EngineName, edit: FieldEdit) => boolean,
    inverses: Reversal[],
  ): void {
    const { field } = reversal;
    this.catchUp(name, reversal, this.seqOf(name, field));
    /** Apply one edit as the reversal of `reversal.origin`; the inverse's place in the log, if one delta. */
    const applyTagged = (edit: FieldEdit): { seq: number; origin?: number } | undefined => {
      const before = this.seqOf(name, field);
      this.applying = { name, undoes: reversal.origin };
      try {
        if (!apply(name, edit)) return undefined;
      } finally {
        this.applying = undefined;
      }
      const seq = this.seqOf(name, field);
      return seq === before + 1 ? { seq, origin: before } : { seq };
    };
    if (reversal.kind === 'un-insert') {
      for (const { from, to } of [...reversal.spans].reverse()) {
        const text = this.host.textSlice(name, field, from, to);
        const done = applyTagged({ kind: 'text', field, action: 'delete', pos: from, len: to - from });
        if (done !== undefined)
          inverses.push({ kind: 'un-delete', field, at: from, after: false, text, ...done });
      }
      return;
    }
    const at = Math.min(reversal.at, this.host.textLength(name, field));
    const { text } = reversal;
    const done = applyTagged({ kind: 'text', field, action: 'insert', pos: at, text });
    if (done !== undefined)
      inverses.push({ kind: 'un-insert', field, spans: [{ from: at, to: at + text.length }], ...done });
  }

  private logOf(name: EngineName, field: string): TextLog {
    const key = `${name}\u0000${field}`;
    let log = this.logs.get(key);
    if (log === undefined) {
      log = { base: 0, deltas: [] };
      this.logs.set(key, log);
    }
    return log;
  }

  /** How many deltas an engine's text has had (as far as this history heard). */
  private seqOf(name: EngineName, field: string): number {
    const log = this.logOf(name, field);
    return log.base + log.deltas.length;
  }

  /** Bring a text reversal of `name` up to `seq` (at most now). */
  private catchUp(name: EngineName, reversal: TextReversal, seq: number): void {
    const log = this.logOf(name, reversal.field);
    if (reversal.seq >= seq) return;
    catchUp(reversal, log.deltas.slice(reversal.seq - log.base, seq - log.base), seq);
  }

  /** Catch every reversal waiting on an engine's text up to now, then forget the deltas they went through. */
  private fold(name: EngineName, field: string): void {
    const now = this.seqOf(name, field);
    for (const step of [...this.undoStack, ...this.redoStack]) {
      const part = step.parts.get(name);
      if (part === undefined || part.native) continue;
      for (const reversal of part.reversals)
        if (reversal.kind !== 'value' && reversal.field === field) this.catchUp(name, reversal, now);
    }
    const log = this.logOf(name, field);
    log.base = now;
    log.deltas = [];
  }
}

function listsEngine(changes: readonly { readonly engine: EngineName }[], name: EngineName): boolean {
  for (let i = 0; i < changes.length; i++) if (changes[i]?.engine === name) return true;
  return false;
}
