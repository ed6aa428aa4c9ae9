// Property tests shared by every replicated type: random multi-replica histories (local actions and
// state syncs), then the lattice laws, delivery-order independence, idempotence, codec round trips,
// contiguous dots, and (when given) agreement with a reference model at every step.
import { type ReplicaId, type Replicated, replicaId, SeededRandom, VersionVector } from '@converge/crdt-core';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { fcParams } from './budget.ts';
import { hex } from './fuzz.ts';

export const REPLICAS: readonly ReplicaId[] = ['alice', 'bob', 'carol'].map(replicaId);
/** A replica that only receives: the one a shuffled delivery is replayed into. */
const OBSERVER = replicaId('observer');

/** One user action in a history, with everything its replica had seen when it happened. */
export interface ModelEvent<A> {
  readonly index: number;
  readonly replica: ReplicaId;
  readonly action: A;
  /** Indices of the events in this event's causal past. */
  readonly past: ReadonlySet<number>;
}

/** A replicated type as the laws see it; `apply` may return more than a boolean (Rga's ApplyResult). */
type AnyReplicated<S, Op> = Replicated<S, Op, unknown, unknown>;

export interface CrdtSpec<S extends AnyReplicated<S, Op>, Op, A> {
  /** A fresh state for `replica` (types whose instances carry no replica id ignore it). */
  readonly create: (replica: ReplicaId) => S;
  readonly action: fc.Arbitrary<A>;
  /** Do `action` locally at `replica`; `step` is the event's index (unique, increasing). */
  readonly perform: (state: S, replica: ReplicaId, action: A, step: number) => Op;
  /** The state `encode()` wrote; `like` is the state it came from (Rga decodes for its replica). */
  readonly decode: (bytes: Uint8Array, like: S) => S;
  readonly encodeOp: (op: Op) => Uint8Array;
  readonly decodeOp: (bytes: Uint8Array) => Op;
  /** For dotted types: every event takes the next dot of its replica, so this counts seen events. */
  readonly version?: (state: S) => VersionVector;
  /** What `apply` returns for an op it has seen (default false). */
  readonly duplicate?: unknown;
  /**
   * Apply every op of a shuffled delivery, duplicates included (default: `apply` each once, for
   * types whose ops commute; types whose ops wait for others retry them).
   */
  readonly deliver?: (state: S, ops: readonly Op[]) => void;
  /** A form equal exactly for equal states (default: `encode()`, canonical for most types). */
  readonly canonical?: (state: S) => unknown;
  /** Reference model: the value after exactly the events in `visible` (a causally closed set). */
  readonly model?: (events: readonly ModelEvent<A>[], visible: ReadonlySet<number>) => unknown;
}

type Step<A> =
  | { readonly kind: 'act'; readonly replica: number; readonly action: A }
  | { readonly kind: 'sync'; readonly from: number; readonly to: number };

interface History<S, Op, A> {
  readonly states: S[];
  readonly seen: Set<number>[];
  readonly events: ModelEvent<A>[];
  readonly ops: Op[];
}

function steps<A>(action: fc.Arbitrary<A>, maxLength = 24): fc.Arbitrary<Step<A>[]> {
  const replica = fc.integer({ min: 0, max: REPLICAS.length - 1 });
  const step: fc.Arbitrary<Step<A>> = fc.oneof(
    { weight: 3, arbitrary: fc.record({ kind: fc.constant('act' as const), replica, action }) },
    { weight: 1, arbitrary: fc.record({ kind: fc.constant('sync' as const), from: replica, to: replica }) },
  );
  return fc.array(step, { maxLength });
}

function play<S extends AnyReplicated<S, Op>, Op, A>(
  spec: CrdtSpec<S, Op, A>,
  script: readonly Step<A>[],
  checkModel: boolean,
): History<S, Op, A> {
  const history: History<S, Op, A> = {
    states: REPLICAS.map((replica) => spec.create(replica)),
    seen: REPLICAS.map(() => new Set<number>()),
    events: [],
    ops: [],
  };
  const { states, seen, events, ops } = history;
  for (const step of script) {
    let touched: number;
    if (step.kind === 'act') {
      const replica = REPLICAS[step.replica] as ReplicaId;
      const index = events.length;
      const past = new Set(seen[step.replica]);
      ops.push(spec.perform(states[step.replica] as S, replica, step.action, index));
      events.push({ index, replica, action: step.action, past });
      seen[step.replica]?.add(index);
      touched = step.replica;
    } else {
      (states[step.to] as S).merge(states[step.from] as S);
      for (const index of seen[step.from] as Set<number>) seen[step.to]?.add(index);
      touched = step.to;
    }
    if (checkModel && spec.model) {
      expect((states[touched] as S).value()).toEqual(spec.model(events, seen[touched] as Set<number>));
    }
  }
  return history;
}

function merged<S extends AnyReplicated<S, Op>, Op>(...states: S[]): S {
  const [first, ...rest] = states;
  const result = (first as S).clone();
  for (const state of rest) result.merge(state);
  return result;
}

function expectSame<S extends AnyReplicated<S, Op>, Op, A>(
  spec: CrdtSpec<S, Op, A>,
  actual: S,
  expected: S,
): void {
  expect(actual.value()).toEqual(expected.value());
  const canonical = spec.canonical ?? ((state: S) => hex(state.encode()));
  expect(canonical(actual)).toEqual(canonical(expected));
}

/** Register the law tests for one type (call inside a `describe`). */
export function crdtLaws<S extends AnyReplicated<S, Op>, Op, A>(spec: CrdtSpec<S, Op, A>): void {
  const history = steps(spec.action);

  it('merge is commutative, associative and idempotent', () => {
    fc.assert(
      fc.property(history, (script) => {
        const [a, b, c] = play(spec, script, false).states as [S, S, S];
        expectSame(spec, merged(a, b), merged(b, a));
        expectSame(spec, merged(merged(a, b), c), merged(a, merged(b, c)));
        expectSame(spec, merged(a, a), a);
        expectSame(spec, merged(merged(a, b), b), merged(a, b));
      }),
      fcParams(),
    );
  });

  it('every delivery order of the ops, with duplicates, gives the merged state', () => {
    fc.assert(
      fc.property(history, fc.integer(), (script, shuffleSeed) => {
        const { states, ops } = play(spec, script, false);
        const rng = new SeededRandom(shuffleSeed);
        const delivery = rng.shuffle([...ops, ...ops.filter(() => rng.chance(0.3))]);
        const replayed = spec.create(OBSERVER);
        if (spec.deliver) spec.deliver(replayed, delivery);
        else for (const op of delivery) replayed.apply(op);
        expectSame(spec, replayed, merged(...states));
      }),
      fcParams(),
    );
  });

  it('re-applying known ops or re-merging known state changes nothing', () => {
    fc.assert(
      fc.property(history, (script) => {
        const { states, seen, ops } = play(spec, script, false);
        states.forEach((state, r) => {
          const before = hex(state.encode());
          for (const index of seen[r] as Set<number>)
            expect(state.apply(ops[index] as Op)).toBe(spec.duplicate ?? false);
          expect(state.merge(state.clone())).toBe(false);
          expect(hex(state.encode())).toBe(before);
        });
      }),
      fcParams(),
    );
  });

  it('states and ops round-trip through the binary codec', () => {
    fc.assert(
      fc.property(history, (script) => {
        const { states, ops } = play(spec, script, false);
        for (const state of states) expectSame(spec, spec.decode(state.encode(), state), state);
        for (const op of ops) {
          const bytes = spec.encodeOp(op);
          expect(spec.decodeOp(bytes)).toEqual(op);
          expect(hex(spec.encodeOp(spec.decodeOp(bytes)))).toBe(hex(bytes));
        }
      }),
      fcParams(),
    );
  });

  const { version } = spec;
  if (version) {
    it('the version vector counts exactly the events seen (dots are contiguous per replica)', () => {
      fc.assert(
        fc.property(history, (script) => {
          const { states, seen, events } = play(spec, script, false);
          states.forEach((state, r) => {
            const counts = new Map<string, number>();
            for (const index of seen[r] as Set<number>) {
              const replica = (events[index] as ModelEvent<A>).replica;
              counts.set(replica, (counts.get(replica) ?? 0) + 1);
            }
            expect(version(state).toJSON()).toEqual(VersionVector.from(counts).toJSON());
          });
        }),
        fcParams(),
      );
    });
  }

  const { model } = spec;
  if (model) {
    it('agrees with the reference model at every step and after full sync', () => {
      fc.assert(
        fc.property(history, (script) => {
          const { states, events } = play(spec, script, true);
          const all = new Set(events.map((event) => event.index));
          expect(merged(...states).value()).toEqual(model(events, all));
        }),
        fcParams(),
      );
    });
  }
}

/** The add-wins rule shared by models: events in `visible` of `kind` not in the past of any `killer`. */
export function survivors<A>(
  events: readonly ModelEvent<A>[],
  visible: ReadonlySet<number>,
  isCandidate: (event: ModelEvent<A>) => boolean,
  kills: (killer: ModelEvent<A>, victim: ModelEvent<A>) => boolean,
): ModelEvent<A>[] {
  const seen = [...visible].map((index) => events[index] as ModelEvent<A>);
  return seen.filter(
    (victim) =>
      isCandidate(victim) && !seen.some((killer) => killer.past.has(victim.index) && kills(killer, victim)),
  );
}
