/**
 * The engine boundary: everything the app, the relay's storage peer, the scenario runner and the tests
 * know of an engine comes from its descriptor. Each engine lives in its own folder under `engines/` and
 * exports one; the registry (`engines/index.ts`) lists them. Nothing outside an engine's folder tests
 * which engine it holds: it asks the descriptor.
 */
import type { Engine, EngineContext, HeadsResolver } from './engine.ts';
import type { EngineName } from './engine-name.ts';
import type { LedgerWrite, LostWrite } from './ledger.ts';

/** How an engine merges the two kinds of cart change, in words for the Compare panel. */
export interface CartMergeRule {
  /** What "−" / "+" do when another replica changes the same line at the same time. */
  readonly step: string;
  /** What setting a quantity does when another replica changes the same line at the same time. */
  readonly set: string;
}

/**
 * What an engine keeps of concurrent edits: its documented semantics, which the convergence harness
 * checks against every acknowledged edit.
 */
export interface MergeSemantics {
  /** Counters: every acknowledged increment counts ('exact'), or concurrent ones may be lost ('lossy'). */
  readonly counters: 'exact' | 'lossy';
  /**
   * A cart line that is only ever added to: the sum of every add ('exact'), between 1 and that sum
   * ('bounded': concurrent first adds or read-modify-write totals compete), or anything ('lossy').
   */
  readonly growingCart: 'exact' | 'bounded' | 'lossy';
  /** Text keeps every acknowledged insertion in order ('merged'), or may lose concurrent edits ('lossy'). */
  readonly text: 'merged' | 'lossy';
  /** Concurrent writes of a register: kept side by side ('multi-value'), or one wins ('single-value'). */
  readonly register: 'multi-value' | 'single-value';
}

/** For an engine that keeps a ledger of the writes it lost (last-writer-wins). */
export interface LedgerAccess {
  /** Every write the engine lost (identical on every replica once they hold the same writes). */
  lost(engine: Engine): LostWrite[];
  /** Every write the engine holds, in causal order (for the wall-time analysis and the Compare export). */
  writes(engine: Engine): readonly LedgerWrite[];
}

/**
 * An engine's code that loads on demand: its library (Automerge's and Loro's WebAssembly, Yjs) is a
 * dynamic import, so a replica that does not build the engine yet (a progressive open: until its turn)
 * never loads it. `EngineRegistry.load` / `loadAll` load it.
 */
export interface EngineCodeLoader {
  /** Whether the code has loaded: `create`, `heads`, `ledger` work from then on. */
  readonly loaded: boolean;
  /** Load the code (once: later calls share the first; a failed load may be retried). */
  load(): Promise<void>;
}

export interface EngineDescriptor {
  /** Stable id: in stores, scenario files, reports and the UI's test ids. Lowercase letters, digits, '-'. */
  readonly name: EngineName;
  /** What the UI calls it. */
  readonly label: string;
  /** What it is, in one sentence (shown on hover). */
  readonly description: string;
  /**
   * The engine's channel on the wire (0–255). Stable: never renumbered or reused, since relays count by it
   * and replicas of other versions meet on it. The registry refuses two engines with one code.
   */
  readonly wireCode: number;
  /**
   * Whether the version counts every operation, so equal versions mean equal states (a Yjs state vector
   * leaves deletions out: false). Without it, only digests prove two replicas hold the same state.
   */
  readonly completeVersion: boolean;
  readonly cartRules: CartMergeRule;
  readonly semantics: MergeSemantics;
  /**
   * What a large text edit (1,024 characters or more inserted; deleted too, without `largeDeleteCost`) is
   * expected to cost the engine,
   * in µs per character, until the replica has measured it (0 or absent: negligible). An engine expected
   * to take more than ~20 ms on one falls behind the others and catches up later (replica/README.md).
   */
  readonly largeEditCost?: number;
  /** The same for a large deletion, when it differs (absent: `largeEditCost`). */
  readonly largeDeleteCost?: number;
  /**
   * A few words on a sync payload of this engine for the wire log ('hello (vector)', 'ops'); never throws,
   * and works before the engine's code has loaded (perhaps in fewer words: 'sync'). The wire log names every
   * frame sent and received: it need not verify the payload (the engine does), and should not read all of it.
   */
  describePayload(payload: Uint8Array): string;
  /**
   * Present when the engine's code loads on demand: until it has loaded, `create`, `heads` and `ledger`
   * throw (`EngineCodeNotLoadedError`); every other member is a fact, there from the start. Absent: the
   * code came with the descriptor.
   */
  readonly code?: EngineCodeLoader;
  /** A new engine for a replica (closed by whoever holds it). Its code must have loaded (`code`). */
  create(context: EngineContext): Engine;
  /** Present when the engine keeps a ledger of the writes it lost. */
  readonly ledger?: LedgerAccess;
  /** Present when the engine's version is a set of heads: which of a peer's heads this replica lacks. */
  readonly heads?: (engine: Engine) => HeadsResolver;
}

/** An engine's `create`, `heads` or `ledger` was called before its code loaded (`EngineRegistry.load`). */
export class EngineCodeNotLoadedError extends Error {
  override readonly name = 'EngineCodeNotLoadedError';
  constructor(readonly engine: string) {
    super(`the ${engine} engine's code is not loaded yet (await EngineRegistry.load first)`);
  }
}
