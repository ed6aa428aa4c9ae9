/**
 * The ledger of a simulated external service — payments (charge, refund) or shipments (create, cancel) —
 * as a pure state machine: what the service has done, per idempotency key. Like a real provider it
 * answers a repeated request with the first answer (so a retry never charges twice), refuses a request
 * under a key that was refunded or voided, and refuses fencing tokens below the largest it has seen.
 */
import { z } from 'zod';
import type { FencingToken } from './fencing.ts';
import type { Machine } from './machine-store.ts';
import { fromJsonBytes, jsonBytes, parseWith } from './schemas.ts';

/** live: charged / shipped; reversed: refunded / cancelled; void: undone before it was ever done. */
export type EffectStatus = 'live' | 'reversed' | 'void';

export interface Effect {
  readonly key: string;
  readonly orderId: string;
  /** ch-1, sh-1, …; none for a key voided before it was used. */
  readonly id?: string;
  readonly status: EffectStatus;
  /** What was charged or shipped, in words ("12.00", "2 × kiwi"). */
  readonly what: string;
  readonly token: FencingToken;
}

export interface LedgerState {
  fence: FencingToken;
  /** Effects made so far (numbers their ids). */
  made: number;
  readonly effects: Map<string, Effect>;
}

export type LedgerCommand =
  | { readonly kind: 'fence'; readonly token: FencingToken }
  | {
      readonly kind: 'perform';
      readonly key: string;
      readonly orderId: string;
      readonly what: string;
      readonly token: FencingToken;
    }
  | { readonly kind: 'undo'; readonly key: string; readonly orderId: string; readonly token: FencingToken };

export type FenceReply = { readonly kind: 'ok' } | { readonly kind: 'fenced'; readonly fence: FencingToken };
export type PerformReply =
  | { readonly kind: 'done'; readonly id: string; readonly replay: boolean }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'void'; readonly reason: string }
  | { readonly kind: 'fenced'; readonly fence: FencingToken };
export type UndoReply =
  /** The effect is undone (now, or by an earlier undo under the same key). */
  | { readonly kind: 'undone'; readonly id: string }
  /** Nothing had been done under the key: it is void now, so a late request under it is refused. */
  | { readonly kind: 'nothing'; readonly reason: string }
  | { readonly kind: 'failed'; readonly reason: string }
  | { readonly kind: 'fenced'; readonly fence: FencingToken };

export function emptyLedger(): LedgerState {
  return { fence: 0, made: 0, effects: new Map() };
}

/** Effects made for `orderId` (live or since reversed): more than one would be a double charge. */
export function effectsOf(state: LedgerState, orderId: string): Effect[] {
  return [...state.effects.values()].filter((e) => e.orderId === orderId && e.status !== 'void');
}

export function decideLedger(
  state: LedgerState,
  command: LedgerCommand,
  idPrefix: string,
): { reply: FenceReply | PerformReply | UndoReply; install?: (s: LedgerState) => void } {
  if (command.token < state.fence) return { reply: { kind: 'fenced', fence: state.fence } };
  const raise = (s: LedgerState): void => {
    s.fence = Math.max(s.fence, command.token);
  };
  const raising = command.token > state.fence ? raise : undefined;
  switch (command.kind) {
    case 'fence':
      return { reply: { kind: 'ok' }, ...(raising ? { install: raising } : {}) };
    case 'perform': {
      const existing = state.effects.get(command.key);
      if (existing?.status === 'live' && existing.id !== undefined)
        return {
          reply: { kind: 'done', id: existing.id, replay: true },
          ...(raising ? { install: raising } : {}),
        };
      if (existing !== undefined)
        return {
          reply: {
            kind: 'void',
            reason: `key ${command.key} was ${existing.status === 'void' ? 'voided' : 'undone'}`,
          },
          ...(raising ? { install: raising } : {}),
        };
      const id = `${idPrefix}-${state.made + 1}`;
      const effect: Effect = {
        key: command.key,
        orderId: command.orderId,
        id,
        status: 'live',
        what: command.what,
        token: command.token,
      };
      return {
        reply: { kind: 'done', id, replay: false },
        install: (s) => {
          raise(s);
          s.made++;
          s.effects.set(command.key, effect);
        },
      };
    }
    case 'undo': {
      const existing = state.effects.get(command.key);
      if (existing === undefined) {
        const voided: Effect = {
          key: command.key,
          orderId: command.orderId,
          status: 'void',
          what: '',
          token: command.token,
        };
        return {
          reply: { kind: 'nothing', reason: `nothing was done under key ${command.key}; it is void now` },
          install: (s) => {
            raise(s);
            s.effects.set(command.key, voided);
          },
        };
      }
      if (existing.status !== 'live' || existing.id === undefined)
        return {
          reply:
            existing.id === undefined
              ? { kind: 'nothing', reason: `key ${command.key} is void` }
              : { kind: 'undone', id: existing.id },
          ...(raising ? { install: raising } : {}),
        };
      const reversed: Effect = { ...existing, status: 'reversed', token: command.token };
      return {
        reply: { kind: 'undone', id: existing.id },
        install: (s) => {
          raise(s);
          s.effects.set(command.key, reversed);
        },
      };
    }
  }
}

const token = z.number().int().min(0).refine(Number.isSafeInteger);
const key = z.string().min(1).max(200);
const commandSchema = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('fence'), token }),
  z.strictObject({ kind: z.literal('perform'), key, orderId: key, what: z.string().max(1000), token }),
  z.strictObject({ kind: z.literal('undo'), key, orderId: key, token }),
]) satisfies z.ZodType<LedgerCommand>;
const effectSchema = z.strictObject({
  key,
  orderId: key,
  id: z.string().max(64).optional(),
  status: z.enum(['live', 'reversed', 'void']),
  what: z.string().max(1000),
  token,
}) satisfies z.ZodType<Effect>;
const stateSchema = z.strictObject({ fence: token, made: token, effects: z.array(effectSchema) });

/** The ledger of a service whose effect ids start with `idPrefix` ("ch": charges, "sh": shipments). */
export function ledgerMachine(what: string, idPrefix: string): Machine<LedgerState, LedgerCommand> {
  return {
    what,
    empty: emptyLedger,
    decide: (state, command) => decideLedger(state, command, idPrefix),
    encodeCommand: jsonBytes,
    decodeCommand: (bytes) => parseWith(commandSchema, fromJsonBytes(bytes, 'record'), `${what} record`),
    encodeState: (state) =>
      jsonBytes({ fence: state.fence, made: state.made, effects: [...state.effects.values()] }),
    decodeState: (bytes) => {
      const parsed = parseWith(stateSchema, fromJsonBytes(bytes, 'snapshot'), `${what} snapshot`);
      return {
        fence: parsed.fence,
        made: parsed.made,
        effects: new Map(parsed.effects.map((e) => [e.key, e])),
      };
    },
  };
}
