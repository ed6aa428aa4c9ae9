/**
 * The engines a replica hosts, and the fan-out of a local edit to all of them: the edit is planned per
 * engine (a text edit made against the primary engine's text is placed in each other engine's text at
 * the spot with the same surrounding text, by a TextAlignment per pair that follows both texts' deltas),
 * applied to the primary first, then to the others. Views and digests are cached per engine until its
 * next change; nothing here reads a whole text per edit.
 *
 * An engine is built (its descriptor's `create`) at once, or, when the replica opens progressively, when
 * it is first needed (its store about to load): a window then shows its primary's text before the other
 * engines exist (building Automerge's first document compiles its WebAssembly's functions: 0.2–0.5 s of a
 * window's start on a loaded machine). Until built, an engine reads as an empty one would.
 */
import type { Engine, EngineContext } from '../engine.ts';
import type { EngineName } from '../engine-name.ts';
import type { EngineRegistry } from '../engine-registry.ts';
import { checkTextEditIn, type FieldEdit, type WorkspaceSchema } from '../schema.ts';
import { type AlignedText, TextAlignment } from '../text-alignment.ts';
import type { TextChange } from '../text-delta.ts';
import { type Intent, WORKSPACE, type WorkspaceView } from '../workspace.ts';
import { ReplicaError } from './events.ts';
import type { Problems } from './problems.ts';

/** An engine that failed to apply an edit the primary made, and why. */
export interface EngineFailure {
  readonly engine: EngineName;
  readonly message: string;
}

/** Told around each intent an engine applies, in order. */
export interface PlanWatch {
  before?(engine: EngineName, intent: Intent): void;
  after?(engine: EngineName, intent: Intent): void;
}

/** What is cached of an engine until its next change. */
interface CachedState {
  view?: WorkspaceView | undefined;
  digest?: string | undefined;
}

const NO_FAILURES: readonly EngineFailure[] = [];
const NO_INTENTS: readonly Intent[] = [];

export class HostedEngines {
  /** The engines built so far (every hosted engine has an entry in `cache` from the start). */
  private readonly engines = new Map<EngineName, Engine>();
  private readonly cache = new Map<EngineName, CachedState>();
  /** Every alignment of two engines' texts of a field, and by source, target and field for lookup. */
  private readonly alignments: {
    readonly source: EngineName;
    readonly target: EngineName;
    readonly field: string;
    readonly alignment: TextAlignment;
  }[] = [];
  private readonly alignmentIndex = new Map<EngineName, Map<EngineName, Map<string, TextAlignment>>>();
  /** The schema's text fields, by name. */
  private readonly textFields: readonly string[];
  /**
   * What `plan` returns, reused by every call (an edit per keystroke allocates no map): one entry per
   * engine from the start, overwritten; `asIs` is the one-intent list of engines that take the intent as
   * it is. Both are valid until the next `plan`.
   */
  private readonly planned = new Map<EngineName, readonly Intent[]>();
  /** The text `plan` checks an edit against, read through one bound function (no closure per edit). */
  private reading: Engine | undefined;
  private readingField = '';
  private readonly codeUnitAt = (i: number): number =>
    (this.reading as Engine).textCodeUnit(this.readingField, i);
  private readonly asIs: Intent[] = [];
  private order: readonly EngineName[] = Object.freeze([]);
  /**
   * Engines that have loaded (their store, then the intents deferred for them): only these take edits.
   * A progressive open makes the primary ready first and the others one by one after.
   */
  private readonly ready = new Set<EngineName>();
  private readyOrder: readonly EngineName[] = Object.freeze([]);
  /** What an engine not built yet shows: the schema's empty view. */
  private readonly emptyView: WorkspaceView;
  private closed = false;

  /**
   * Host every engine of `registry`. With `buildAll`, build them all now (if one fails, those built so far
   * are closed and the error rethrown); otherwise each is built when first needed (`build`, or `get`).
   */
  constructor(
    private readonly registry: EngineRegistry,
    /** Each engine's context (they differ in their remote apply pace only). */
    private readonly contextOf: (name: EngineName) => EngineContext,
    private readonly replicaId: string,
    private readonly problems: Problems,
    /** Told every text change of every engine (from the start: store loads included). */
    private readonly textChanged: (engine: EngineName, change: TextChange) => void = () => {},
    buildAll = true,
  ) {
    const schema = contextOf(registry.names[0] as EngineName).schema ?? WORKSPACE;
    this.textFields = schema.fieldsOf('text').map((field) => field.name);
    this.emptyView = Object.freeze(schema.empty()) as WorkspaceView;
    for (const name of registry.names) {
      this.cache.set(name, {});
      this.planned.set(name, NO_INTENTS);
    }
    this.order = Object.freeze([...registry.names]);
    if (!buildAll) return;
    try {
      for (const name of registry.names) this.build(name);
    } catch (error) {
      this.close();
      throw error;
    }
  }

  /** The engine, built now if it was not yet; throws if its descriptor fails to build it. */
  build(name: EngineName): Engine {
    const built = this.engines.get(name);
    if (built !== undefined) return built;
    if (!this.cache.has(name)) throw this.notHosted(name);
    if (this.closed) throw new ReplicaError(`replica ${this.replicaId} is closed: ${name} is not built`);
    const engine = this.registry.create(name, this.contextOf(name));
    if (engine.name !== name) {
      engine.close();
      throw new ReplicaError(`the ${name} descriptor created the ${engine.name} engine`);
    }
    this.engines.set(name, engine);
    engine.onTextChange((change) => this.followText(name, change));
    return engine;
  }

  /** Whether the engine was built (an engine not built yet reads as empty: `view`). */
  isBuilt(name: EngineName): boolean {
    return this.engines.has(name);
  }

  /** The engines' names in display order (one frozen array: read per edit, never copied). */
  get names(): readonly EngineName[] {
    return this.order;
  }

  has(name: EngineName): boolean {
    return this.cache.has(name);
  }

  /** The engines that have loaded, in display order. */
  get readyNames(): readonly EngineName[] {
    return this.readyOrder;
  }

  isReady(name: EngineName): boolean {
    return this.ready.has(name);
  }

  /** The engine has loaded (or caught up): edits reach it from now on. */
  markReady(name: EngineName): void {
    this.get(name);
    this.ready.add(name);
    this.readyOrder = Object.freeze(this.order.filter((n) => this.ready.has(n)));
  }

  /** The engine falls behind (a large edit reaches it later): edits skip it until it is ready again. */
  markBehind(name: EngineName): void {
    this.get(name);
    this.ready.delete(name);
    this.readyOrder = Object.freeze(this.order.filter((n) => this.ready.has(n)));
  }

  /** The engine (built now if it was not yet). */
  get(name: EngineName): Engine {
    return this.engines.get(name) ?? this.build(name);
  }

  /** The engines built so far (every one, once all have loaded). */
  entries(): IterableIterator<[EngineName, Engine]> {
    return this.engines.entries();
  }

  /** An engine's view; the empty view for one not built yet (it holds nothing yet). */
  view(name: EngineName): WorkspaceView {
    const entry = this.cacheOf(name);
    const engine = this.engines.get(name);
    if (engine === undefined) return this.emptyView;
    entry.view ??= this.readView(name, engine);
    return entry.view;
  }

  /**
   * An engine's view, its texts read from the text it reports (`textSlice`, kept from its deltas) and
   * the rest from `viewWithoutText`: materializing a whole document per change (Automerge's `toJS`,
   * LWW rebuilding its winning text from patches) costs tens to hundreds of ms in a 1 MB text.
   */
  private readView(name: EngineName, engine: Engine): WorkspaceView {
    const view = { ...(engine.viewWithoutText() as unknown as Record<string, unknown>) };
    for (const field of this.textFields) view[field] = this.wholeText(name, engine, field);
    return Object.freeze(view) as unknown as WorkspaceView;
  }

  /**
   * An engine's whole text, shared with the last one read of that field when they are equal: engines that
   * agree cost one string, not one each. Compared by hash and length (what digests already rely on), except
   * at the start, until a text's hash is known (its engine's digest took it): a reopened window reads its
   * engines' views before its texts are shown, and a 1 MB text's first hash is ~50–90 ms; they are then
   * compared whole (each is read for the page then anyway). Keys are the content's: never stale.
   */
  private wholeText(name: EngineName, engine: Engine, field: string): string {
    const last = this.lastTexts.get(field);
    if (last?.key !== undefined) {
      const key = textKey(engine, field);
      if (last.key === key) return last.text;
      const text = engine.textSlice(field);
      this.lastTexts.set(field, { text, key });
      return text;
    }
    const key = this.cache.get(name)?.digest === undefined ? undefined : textKey(engine, field);
    const text = engine.textSlice(field);
    if (last !== undefined && text === last.text) {
      last.key = key;
      return last.text;
    }
    this.lastTexts.set(field, { text, key });
    return text;
  }

  /** Per text field, the whole text read last and, if it was known then, its hash and length (`wholeText`). */
  private readonly lastTexts = new Map<string, { readonly text: string; key: string | undefined }>();

  digest(name: EngineName): string {
    const entry = this.cacheOf(name);
    entry.digest ??= this.get(name).digest();
    return entry.digest;
  }

  /** Forget what was cached of an engine (it changed), or of every engine. */
  invalidate(name?: EngineName): void {
    if (name !== undefined) {
      const entry = this.cache.get(name);
      if (entry !== undefined) entry.view = entry.digest = undefined;
      return;
    }
    for (const key of this.cache.keys()) this.cache.set(key, {});
  }

  /**
   * Apply a plan (from `plan`) to every engine, the primary first: its refusal throws (the edit is not
   * made); another engine's failure is reported and returned, while the others keep the edit. `watch` is
   * told around each intent an engine applies (the undo history makes its reversals there).
   */
  applyPlan(
    plan: ReadonlyMap<EngineName, readonly Intent[]>,
    primary: EngineName,
    intent: Intent,
    watch: PlanWatch = {},
  ): readonly EngineFailure[] {
    const first = plan.get(primary) ?? NO_INTENTS;
    for (let i = 0; i < first.length; i++) this.run(primary, first[i] as Intent, watch);
    let failures: EngineFailure[] | undefined;
    // By name, not the map's entries: no iterator or entry arrays per edit.
    const order = this.order;
    for (let n = 0; n < order.length; n++) {
      const name = order[n] as EngineName;
      const edits = plan.get(name);
      if (name === primary || edits === undefined) continue;
      try {
        for (let i = 0; i < edits.length; i++) this.run(name, edits[i] as Intent, watch);
      } catch (error) {
        const message = this.problems.failed(
          { kind: 'engine-error', engine: name },
          `apply ${intent.op} failed`,
          error,
        );
        failures ??= [];
        failures.push({ engine: name, message });
      }
    }
    return failures ?? NO_FAILURES;
  }

  /** Let every engine take in what it put off from peers (Engine.settle), before a local edit is planned. */
  settle(): void {
    const ready = this.readyOrder;
    // Indexed, as every loop run per keystroke here: no iterator object per call.
    for (let i = 0; i < ready.length; i++) {
      const name = ready[i] as EngineName;
      const engine = this.engines.get(name);
      if (engine?.settle !== undefined)
        this.problems.guard({ kind: 'engine-error', engine: name }, 'settle() failed', () =>
          engine.settle?.(),
        );
    }
  }

  /** Close every engine; one that fails to close does not keep the others open. */
  close(): void {
    this.closed = true;
    for (const [name, engine] of this.engines) {
      this.problems.guard({ kind: 'engine-error', engine: name }, 'close() failed', () => engine.close());
    }
    this.invalidate();
  }

  /**
   * Per engine, the intents that carry out `intent` (`edit` is what the schema made of it): text edits
   * aligned to each engine's own text; engines whose text is in step share one list holding the intent.
   * The map and that list are reused: they hold until the next call, which the caller finishes with first.
   */
  plan(
    schema: WorkspaceSchema,
    primary: EngineName,
    intent: Intent,
    edit: FieldEdit,
  ): ReadonlyMap<EngineName, readonly Intent[]> {
    const plan = this.planned;
    // Its one entry overwritten, never emptied: an array emptied gives up its room, and the next push
    // allocates room for 17 (once per keystroke). A throw below leaves the last plan's intent in it, which
    // nothing reads (the caller uses a plan only when `plan` returned it).
    const unchanged = this.asIs;
    if (edit.kind !== 'text' || schema.field(edit.field) === undefined) {
      unchanged[0] = intent;
      for (const name of this.order) plan.set(name, this.ready.has(name) ? unchanged : NO_INTENTS);
      return plan;
    }
    const source = this.get(primary);
    this.reading = source;
    this.readingField = edit.field;
    checkTextEditIn(source.textLength(edit.field), this.codeUnitAt, edit);
    unchanged[0] = intent;
    const order = this.order;
    for (let i = 0; i < order.length; i++) {
      const name = order[i] as EngineName;
      if (name === primary) {
        plan.set(name, unchanged);
        continue;
      }
      if (!this.ready.has(name)) {
        plan.set(name, NO_INTENTS); // it gets the intent once loaded (a deferred intent)
        continue;
      }
      const edits = this.alignment(primary, name, edit.field).align(edit);
      // Texts in step (the common case): the user's intent as it is.
      const same = edits.length === 1 && edits[0] === edit;
      plan.set(name, same ? unchanged : edits.map((e) => schema.intentOf(e) as Intent));
    }
    return plan;
  }

  /** Apply one intent to one engine, `watch` told around it. */
  private run(name: EngineName, intent: Intent, watch: PlanWatch): void {
    watch.before?.(name, intent);
    this.get(name).apply(intent);
    watch.after?.(name, intent);
  }

  /** The alignment of `source`'s and `target`'s texts of `field`, following both from now on. */
  private alignment(source: EngineName, target: EngineName, field: string): TextAlignment {
    let byTarget = this.alignmentIndex.get(source);
    if (byTarget === undefined) {
      byTarget = new Map();
      this.alignmentIndex.set(source, byTarget);
    }
    let byField = byTarget.get(target);
    if (byField === undefined) {
      byField = new Map();
      byTarget.set(target, byField);
    }
    let alignment = byField.get(field);
    if (alignment === undefined) {
      alignment = new TextAlignment(this.alignedText(source, field), this.alignedText(target, field));
      byField.set(field, alignment);
      this.alignments.push({ source, target, field, alignment });
    }
    return alignment;
  }

  private alignedText(name: EngineName, field: string): AlignedText {
    const engine = this.get(name);
    return {
      get length() {
        return engine.textLength(field);
      },
      slice: (from, to) => engine.textSlice(field, from, to),
      hash: () => engine.textHash(field),
    };
  }

  /** An engine's text changed: the alignments it is part of follow, then the listener hears of it. */
  private followText(name: EngineName, change: TextChange): void {
    const alignments = this.alignments;
    for (let i = 0; i < alignments.length; i++) {
      const { source, target, field, alignment } = alignments[i] as (typeof alignments)[number];
      if (field !== change.field) continue;
      if (source === name) alignment.sourceChanged(change.deltas);
      else if (target === name) alignment.targetChanged(change.deltas);
    }
    this.textChanged(name, change);
  }

  private cacheOf(name: EngineName): CachedState {
    const entry = this.cache.get(name);
    if (entry === undefined) throw this.notHosted(name);
    return entry;
  }

  private notHosted(name: EngineName): ReplicaError {
    return new ReplicaError(`engine ${name} is not hosted by replica ${this.replicaId}`);
  }
}

/** A text's hash and length: equal keys, equal texts (what digests rely on); cheap once `digest()` ran. */
function textKey(engine: Engine, field: string): string {
  return `${engine.textHash(field)}:${engine.textLength(field)}`;
}
