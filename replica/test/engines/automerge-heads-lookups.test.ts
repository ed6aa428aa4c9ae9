/**
 * Finding out which heads a document holds never builds a change (issue 19): `getChangeByHash` (and
 * `hasHeads`, which calls it) build the change they find, which in the app cost a tenth of the typing
 * window's worker at 150 KB (a session checking a lagging peer's reported heads on every local change)
 * and ~7 ms per status snapshot (the Compare panel's version comparison). Counted on the backend.
 */
import * as A from '@automerge/automerge';
import { afterEach, describe, expect, it } from 'vitest';
import type { Engine } from '../../src/engine.ts';
import { AutomergeEngine } from '../../src/engines/automerge/automerge-engine.ts';
import { automergeHeads } from '../../src/engines/automerge/heads.ts';
import { ENGINES } from '../../src/index.ts';

/** Counts getChangeByHash calls on every Automerge backend (the WASM handle's class) until restored. */
function countChangeLookups(engine: AutomergeEngine): { readonly calls: number; restore(): void } {
  const proto = Object.getPrototypeOf(A.getBackend(engine.current())) as {
    getChangeByHash: (...args: unknown[]) => unknown;
  };
  const original = proto.getChangeByHash;
  const counter = {
    calls: 0,
    restore: () => {
      proto.getChangeByHash = original;
    },
  };
  proto.getChangeByHash = function (this: unknown, ...args: unknown[]) {
    counter.calls++;
    return original.apply(this, args);
  };
  return counter;
}

const engines: Engine[] = [];
afterEach(() => {
  for (const engine of engines.splice(0)) engine.close();
});

function automerge(replicaId: string): AutomergeEngine {
  const engine = ENGINES.create('automerge', { replicaId, now: () => 1_000 });
  engines.push(engine);
  if (!(engine instanceof AutomergeEngine)) throw new Error('expected the Automerge engine');
  return engine;
}

describe('Automerge head lookups', () => {
  it('typing to a lagging peer builds no change to check what the peer holds', () => {
    const a = automerge('r-a');
    const b = automerge('r-b');
    const toB: Uint8Array[] = [];
    const toA: Uint8Array[] = [];
    const aToB = a.openSession('r-b', (payload) => toB.push(payload));
    const bToA = b.openSession('r-a', (payload) => toA.push(payload));
    a.onChange((change) => aToB.changed(change));
    b.onChange((change) => bToA.changed(change));
    const deliver = (): void => {
      while (toB.length > 0 || toA.length > 0) {
        for (const payload of toB.splice(0)) bToA.receive(payload);
        for (const payload of toA.splice(0)) aToB.receive(payload);
      }
    };
    aToB.start();
    bToA.start();
    deliver();
    a.apply({ op: 'text.insert', pos: 0, text: 'start ' });
    deliver();
    const lookups = countChangeLookups(a);
    try {
      // The peer answers late: every few keystrokes, as a busy window does.
      for (let k = 0; k < 30; k++) {
        a.apply({ op: 'text.insert', pos: 6 + k, text: 'x' });
        if (k % 3 === 2) {
          for (const payload of toB.splice(0)) bToA.receive(payload);
          // The peer edits too now and then: its change crosses ours, so ours go by the sync protocol.
          if (k % 9 === 8) b.apply({ op: 'text.insert', pos: 0, text: 'b' });
          for (const payload of toA.splice(0)) aToB.receive(payload);
        }
      }
      deliver();
    } finally {
      lookups.restore();
    }
    expect(b.textSlice('text')).toBe(`bbbstart ${'x'.repeat(30)}`);
    expect(a.textSlice('text')).toBe(b.textSlice('text'));
    expect(lookups.calls).toBe(0);
  });

  it('the heads resolver tells known from unknown heads without building a change', () => {
    const a = automerge('r-a');
    a.apply({ op: 'text.insert', pos: 0, text: 'one' });
    const known = A.getHeads(a.current());
    const other = automerge('r-b');
    other.apply({ op: 'text.insert', pos: 0, text: 'two' });
    const unknownHead = A.getHeads(other.current());
    const lookups = countChangeLookups(a);
    let answer: readonly string[];
    try {
      answer = automergeHeads(a).unknown([...known, ...unknownHead, 'not a hash']);
    } finally {
      lookups.restore();
    }
    expect(answer).toEqual([...unknownHead, 'not a hash']);
    expect(lookups.calls).toBe(0);
  });
});
