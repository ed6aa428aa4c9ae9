/**
 * What went wrong without stopping the replica (a malformed payload, a failing engine or store, damaged
 * stored data), kept for the UI and logs; and the one way the replica's collaborators turn a failure into
 * such a problem instead of letting it escape.
 */
import { errorMessage } from '@converge/protocol';
import type { EngineName } from '../engine-name.ts';

export type ProblemKind =
  | 'rejected-payload'
  | 'engine-error'
  | 'store-error'
  | 'load-damage'
  | 'unknown-engine';

/** Something that went wrong without stopping the replica, kept for the UI and logs. */
export interface ReplicaProblem {
  readonly kind: ProblemKind;
  readonly engine?: EngineName;
  readonly peer?: string;
  readonly message: string;
}

/** Where a failure happened: the problem it becomes, but for its message. */
export type ProblemContext = Omit<ReplicaProblem, 'message'>;

const MAX_PROBLEMS_KEPT = 100;

export class Problems {
  private readonly log: ReplicaProblem[] = [];

  constructor(private readonly reported: (problem: ReplicaProblem) => void) {}

  report(problem: ReplicaProblem): void {
    this.log.push(problem);
    if (this.log.length > MAX_PROBLEMS_KEPT) this.log.shift();
    this.reported(problem);
  }

  /**
   * Run `action`; if it throws, report `what: <the error>` in `context` and return undefined (the replica
   * carries on: one engine, session or store failing must not stop the others).
   */
  guard<T>(context: ProblemContext, what: string, action: () => T): T | undefined {
    const outcome = this.run(context, what, action);
    return outcome.ok ? outcome.value : undefined;
  }

  /** Report `error` as `what: <the error>` in `context`; returns the error's message. */
  failed(context: ProblemContext, what: string, error: unknown): string {
    this.caught(context, what)(error);
    return errorMessage(error);
  }

  private run<T>(
    context: ProblemContext,
    what: string,
    action: () => T,
  ): { readonly ok: true; readonly value: T } | { readonly ok: false; readonly message: string } {
    try {
      return { ok: true, value: action() };
    } catch (error) {
      this.caught(context, what)(error);
      return { ok: false, message: errorMessage(error) };
    }
  }

  /** A handler that reports what it is given as `what: <the error>` in `context` (for a promise's catch). */
  caught(context: ProblemContext, what: string): (error: unknown) => void {
    return (error) => this.report({ ...context, message: `${what}: ${errorMessage(error)}` });
  }

  /** The recent problems, oldest first. */
  list(): readonly ReplicaProblem[] {
    return [...this.log];
  }
}
