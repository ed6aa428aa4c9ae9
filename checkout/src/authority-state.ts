/**
 * The authority's state — stock per product, the orders and their sagas, the fence — and the pure,
 * deterministic commands that change it. A store persists the commands it accepts and replays them; a
 * command is decided on the state as it is (linearizable: the store runs one at a time), so a reservation
 * either takes every line of an order or none, and stock at the authority never goes below zero.
 *
 * Every command carries the fencing token of the holder that sends it: a token below the fence is refused
 * before anything else is looked at, and an accepted larger one raises the fence.
 */
import type { FencingToken } from './fencing.ts';
import { describeLines, type Lines, linesProblem, sameLines } from './lines.ts';
import type { OrderRecord } from './order.ts';
import { applyTransition, type OrderTransition, type SagaTransition, transitionProblem } from './saga.ts';

/** One product at the authority. `available` is what can still be reserved; it never goes below 0. */
export interface ProductStock {
  readonly available: number;
  /** Held by orders whose saga is under way. */
  readonly reserved: number;
  /** Taken by confirmed orders. */
  readonly sold: number;
  /** In cents. */
  readonly price: number;
}

export const DEFAULT_PRICE = 100;
export const MAX_STOCK = 1_000_000_000;
const NO_STOCK: ProductStock = { available: 0, reserved: 0, sold: 0, price: DEFAULT_PRICE };

export interface AuthorityState {
  /** The largest fencing token accepted; smaller ones are refused. */
  fence: FencingToken;
  /** Changes made so far; every change's sequence number is the version of what it changed. */
  seq: number;
  readonly products: Map<string, ProductStock>;
  readonly orders: Map<string, OrderRecord>;
  /** (replica, key) → order id: the idempotency index. */
  readonly byKey: Map<string, string>;
}

export function emptyAuthorityState(): AuthorityState {
  return { fence: 0, seq: 0, products: new Map(), orders: new Map(), byKey: new Map() };
}

export type AuthorityCommand =
  /** A new holder raises the fence before it reads the state, so its predecessor can write no more. */
  | { readonly kind: 'fence' }
  | {
      readonly kind: 'set-stock';
      readonly product: string;
      readonly quantity: number;
      readonly price?: number;
    }
  | { readonly kind: 'place'; readonly replica: string; readonly key: string; readonly lines: Lines }
  | { readonly kind: 'reserve'; readonly order: string }
  | { readonly kind: 'advance'; readonly order: string; readonly transition: SagaTransition }
  | { readonly kind: 'commit'; readonly order: string }
  | { readonly kind: 'release'; readonly order: string };

/** What a store persists per accepted command. */
export interface AuthorityEntry<C extends AuthorityCommand = AuthorityCommand> {
  readonly token: FencingToken;
  readonly at: number;
  readonly command: C;
}

export type CommandKind = AuthorityCommand['kind'];
export type CommandOf<K extends CommandKind> = Extract<AuthorityCommand, { readonly kind: K }>;

/** A store's answer: the value, or why not (a stale token, or a command the state does not allow). */
export type StoreReply<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly kind: 'fenced'; readonly fence: FencingToken }
  | { readonly ok: false; readonly kind: 'invalid'; readonly reason: string };

export interface Placed {
  readonly order: OrderRecord;
  /** False: the (replica, key) had been placed before, and this is that order (an idempotent retry). */
  readonly created: boolean;
}

/** Everything the authority holds, as plain data (what a new holder reads, what windows are sent). */
export interface AuthoritySnapshot {
  readonly fence: FencingToken;
  readonly seq: number;
  readonly products: readonly (readonly [string, ProductStock])[];
  readonly orders: readonly OrderRecord[];
}

/** An order as a command left it, with the products whose stock the command changed. */
export interface OrderUpdate {
  readonly order: OrderRecord;
  readonly stock: readonly (readonly [string, ProductStock])[];
}

export interface ProductSet {
  readonly product: string;
  readonly stock: ProductStock;
  readonly version: number;
}

export interface CommandResults {
  fence: AuthoritySnapshot;
  'set-stock': ProductSet;
  place: Placed;
  reserve: OrderUpdate;
  advance: OrderUpdate;
  commit: OrderUpdate;
  release: OrderUpdate;
}

/** A decision on a command: the reply, and the change to make once the command is durable (if any). */
export interface Decision<R> {
  readonly reply: StoreReply<R>;
  readonly install?: (state: AuthorityState) => void;
}

const keyOf = (replica: string, key: string): string => `${replica}\u0000${key}`;

export function snapshotOf(state: AuthorityState): AuthoritySnapshot {
  return {
    fence: state.fence,
    seq: state.seq,
    products: [...state.products.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    orders: [...state.orders.values()],
  };
}

export function stateOf(snapshot: AuthoritySnapshot): AuthorityState {
  const state = emptyAuthorityState();
  state.fence = snapshot.fence;
  state.seq = snapshot.seq;
  for (const [product, stock] of snapshot.products) state.products.set(product, stock);
  for (const order of snapshot.orders) {
    state.orders.set(order.id, order);
    state.byKey.set(keyOf(order.replica, order.key), order.id);
  }
  return state;
}

/** The order placed by `replica` under `key`, if any. */
export function orderByKey(state: AuthorityState, replica: string, key: string): OrderRecord | undefined {
  const id = state.byKey.get(keyOf(replica, key));
  return id === undefined ? undefined : state.orders.get(id);
}

/**
 * Decide `entry` on `state` without changing it. Pure: the same state and entry give the same decision,
 * which is what lets a store replay its log.
 */
export function decide<K extends CommandKind>(
  state: AuthorityState,
  entry: AuthorityEntry<CommandOf<K>>,
): Decision<CommandResults[K]> {
  return decideAny(state, entry) as Decision<CommandResults[K]>;
}

function decideAny(state: AuthorityState, entry: AuthorityEntry): Decision<unknown> {
  const { token, at, command } = entry;
  if (token < state.fence) return { reply: { ok: false, kind: 'fenced', fence: state.fence } };
  const version = state.seq + 1;
  const invalid = (reason: string): Decision<unknown> => ({ reply: { ok: false, kind: 'invalid', reason } });
  /** Every accepted change raises the fence to its token and takes the next sequence number. */
  const change = (value: unknown, apply: (s: AuthorityState) => void): Decision<unknown> => ({
    reply: { ok: true, value },
    install: (s) => {
      s.fence = Math.max(s.fence, token);
      s.seq = version;
      apply(s);
    },
  });
  const orderChange = (
    order: OrderRecord,
    transition: OrderTransition,
    stock?: Map<string, ProductStock>,
  ) => {
    const problem = transitionProblem(order, transition);
    if (problem !== undefined) return invalid(problem);
    const next = applyTransition(order, transition, { token, at, version });
    const update: OrderUpdate = { order: next, stock: [...(stock ?? [])] };
    return change(update, (s) => {
      s.orders.set(next.id, next);
      for (const [product, value] of stock ?? []) s.products.set(product, value);
    });
  };
  const unchanged = (order: OrderRecord): Decision<unknown> => ({
    reply: { ok: true, value: { order, stock: [] } satisfies OrderUpdate },
  });
  const findOrder = (id: string): OrderRecord | undefined => state.orders.get(id);

  switch (command.kind) {
    case 'fence': {
      const raised = { ...snapshotOf(state), fence: token };
      return token > state.fence ? change(raised, () => {}) : { reply: { ok: true, value: raised } };
    }
    case 'set-stock': {
      if (!Number.isSafeInteger(command.quantity) || command.quantity < 0 || command.quantity > MAX_STOCK)
        return invalid(`stock must be a whole number from 0 to ${MAX_STOCK}`);
      const price = command.price;
      if (price !== undefined && (!Number.isSafeInteger(price) || price < 0 || price > MAX_STOCK))
        return invalid(`the price must be a whole number of cents from 0 to ${MAX_STOCK}`);
      const before = state.products.get(command.product) ?? NO_STOCK;
      const stock = { ...before, available: command.quantity, price: price ?? before.price };
      return change({ product: command.product, stock, version }, (s) =>
        s.products.set(command.product, stock),
      );
    }
    case 'place': {
      const existing = orderByKey(state, command.replica, command.key);
      if (existing !== undefined) {
        if (!sameLines(existing.lines, command.lines))
          return invalid(
            `key ${command.key} was used for another cart (${describeLines(existing.lines)}); that order stands`,
          );
        return { reply: { ok: true, value: { order: existing, created: false } } };
      }
      const problem = linesProblem(command.lines);
      if (problem !== undefined) return invalid(problem);
      let amount = 0;
      for (const [product, quantity] of command.lines)
        amount += quantity * (state.products.get(product) ?? NO_STOCK).price;
      const order: OrderRecord = {
        id: `o${state.orders.size + 1}`,
        replica: command.replica,
        key: command.key,
        lines: command.lines,
        amount,
        placedAt: at,
        phase: 'placed',
        attempts: { charge: 0, ship: 0 },
        charge: 'none',
        shipment: 'none',
        token,
        version,
        history: [{ step: 'place', outcome: 'done', token, at, detail: describeLines(command.lines) }],
      };
      return change({ order, created: true }, (s) => {
        s.orders.set(order.id, order);
        s.byKey.set(keyOf(order.replica, order.key), order.id);
      });
    }
    case 'reserve': {
      const order = findOrder(command.order);
      if (order === undefined) return invalid(`no order ${command.order}`);
      // Already decided (a retry of a reserve whose answer was lost): the decision stands.
      if (order.phase !== 'placed') return unchanged(order);
      const shortages: string[] = [];
      const stock = new Map<string, ProductStock>();
      for (const [product, quantity] of order.lines) {
        const current = state.products.get(product) ?? NO_STOCK;
        if (current.available < quantity)
          shortages.push(`${product}: ${current.available} in stock, ${quantity} wanted`);
        else
          stock.set(product, {
            ...current,
            available: current.available - quantity,
            reserved: current.reserved + quantity,
          });
      }
      if (shortages.length > 0)
        return orderChange(order, {
          kind: 'reserve-refused',
          reason: `out of stock: ${shortages.join('; ')}`,
        });
      return orderChange(order, { kind: 'reserved' }, stock);
    }
    case 'advance': {
      const order = findOrder(command.order);
      if (order === undefined) return invalid(`no order ${command.order}`);
      return orderChange(order, command.transition);
    }
    case 'commit':
    case 'release': {
      const order = findOrder(command.order);
      if (order === undefined) return invalid(`no order ${command.order}`);
      if (order.phase === (command.kind === 'commit' ? 'confirmed' : 'compensated')) return unchanged(order); // a retry: done already
      const stock = new Map<string, ProductStock>();
      for (const [product, quantity] of order.lines) {
        const current = state.products.get(product) ?? NO_STOCK;
        stock.set(
          product,
          command.kind === 'commit'
            ? { ...current, reserved: current.reserved - quantity, sold: current.sold + quantity }
            : { ...current, reserved: current.reserved - quantity, available: current.available + quantity },
        );
      }
      return orderChange(order, { kind: command.kind === 'commit' ? 'committed' : 'released' }, stock);
    }
  }
}
