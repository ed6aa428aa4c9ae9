/**
 * What one keystroke costs in bytes, per engine, in a text of real size: the update the store appends
 * and every payload sent to a peer that already holds the text (issue 19: LWW used to send and store the
 * whole text per keystroke).
 */
import { describe, expect, it } from 'vitest';
import { ENGINES } from '../../src/engines/index.ts';
import type { Engine, SyncSession } from '../../src/index.ts';
import { closeEnginesAfterEach, makeEngine, SimClock, seeded } from '../../testing/engine-mesh.ts';

closeEnginesAfterEach();

const TEXT_BYTES = 150_000;
const KEYSTROKES = 20;
const MAX_BYTES_PER_KEYSTROKE = 200;
function pair(name: string): {
  a: Engine;
  b: Engine;
  clock: SimClock;
  toB: SyncSession;
  toA: SyncSession;
  sent: Uint8Array[];
} {
  const { rng } = seeded(11);
  const clock = new SimClock();
  const a = makeEngine(name as never, 'r-alice01', clock, rng);
  const b = makeEngine(name as never, 'r-bobby02', clock, rng);
  const sent: Uint8Array[] = [];
  let toA: SyncSession;
  const toB = a.openSession('r-bobby02', (payload) => {
    sent.push(payload);
    toA.receive(payload);
  });
  toA = b.openSession('r-alice01', (payload) => {
    toB.receive(payload);
  });
  return { a, b, clock, toB, toA, sent };
}

describe.each(ENGINES.names.map((n) => [n]))('%s: one keystroke in a 150 KB text', (name) => {
  it(`stores and sends at most ${MAX_BYTES_PER_KEYSTROKE} bytes per keystroke`, () => {
    const { a, b, clock, toB, toA, sent } = pair(name);
    const paragraph = 'Lorem ipsum dolor sit amet, consectetur adipiscing elit. ';
    a.apply({ op: 'text.insert', pos: 0, text: paragraph.repeat(Math.ceil(TEXT_BYTES / paragraph.length)) });
    b.applyUpdate(a.save());
    toB.start();
    toA.start();
    expect(b.textHash('text')).toBe(a.textHash('text'));
    const stored: number[] = [];
    a.onChange((change) => {
      stored.push(change.update.length);
      toB.changed(change);
    });
    sent.length = 0;
    for (let k = 0; k < KEYSTROKES; k++) {
      clock.advance(50);
      a.apply({ op: 'text.insert', pos: 1000 + k, text: 'x' });
    }
    const wire = sent.reduce((n, p) => n + p.length, 0) / KEYSTROKES;
    const store = stored.reduce((n, s) => n + s, 0) / KEYSTROKES;
    expect(b.textHash('text')).toBe(a.textHash('text'));
    expect(wire, `${name}: ${wire} wire bytes per keystroke`).toBeLessThanOrEqual(MAX_BYTES_PER_KEYSTROKE);
    expect(store, `${name}: ${store} store bytes per keystroke`).toBeLessThanOrEqual(MAX_BYTES_PER_KEYSTROKE);
  });
});
