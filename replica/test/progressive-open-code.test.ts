/**
 * A window's typing and a peer's later edit while the window's engines load (the interop e2e with engines'
 * code on demand, issue 19). The e2e's Compare panel read "window: hello from a Yjs appwindow: " for Loro:
 * its marking against the primary (the struck-out "window: " only the primary had, then Loro's own text),
 * Loro holding "hello from a Yjs appwindow: ", nothing twice. The window's Loro, the last engine to load
 * (its code arriving seconds late), took the typing after the stock client's edit, made after seeing the
 * typing in Yjs, had entered Loro at the bridge, whose Loro did not hold the typing yet: in Loro the two
 * are concurrent, and Loro's peer ids order them. Each edit is in every engine once all the same.
 */
import { VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import type { EngineCodeLoader } from '../src/engine-descriptor.ts';
import type { EngineName } from '../src/engine-name.ts';
import { EngineRegistry } from '../src/engine-registry.ts';
import { ENGINES } from '../src/engines/index.ts';
import { MemoryByteLog } from '../src/log-store.ts';
import type { Replica } from '../src/replica.ts';
import { MemoryStore } from '../src/store.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';
import { copyOf, openStored, textsOf, untilLoaded } from '../testing/stored-replica.ts';

closeSimRoomsAfterEach();

/** An engine's code that arrives when the test says (the setup file already loaded the real code). */
class GatedCode implements EngineCodeLoader {
  loaded = false;
  private arrive: () => void = () => {};
  private readonly arrival = new Promise<void>((resolve) => {
    this.arrive = resolve;
  });

  load(): Promise<void> {
    return this.arrival;
  }

  release(): void {
    this.loaded = true;
    this.arrive();
  }
}

const GATED = ['yjs', 'automerge', 'loro'] as const;

function gatedRegistry(): { registry: EngineRegistry; code: Record<(typeof GATED)[number], GatedCode> } {
  const code = { yjs: new GatedCode(), automerge: new GatedCode(), loro: new GatedCode() };
  const registry = new EngineRegistry(
    ENGINES.descriptors.map((descriptor) => {
      const gate = (code as Partial<Record<EngineName, GatedCode>>)[descriptor.name];
      return gate === undefined ? descriptor : { ...descriptor, code: gate };
    }),
  );
  return { registry, code };
}

type Room = ReturnType<typeof simRoom>;

/** Run the room's timers and promise chains for `rounds` steps of `stepMs`. */
async function run(room: Room, rounds: number, stepMs = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) {
    room.clock.advance(stepMs);
    await new Promise((resolve) => setImmediate(resolve));
  }
}

async function until(room: Room, done: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 2_000 && !done(); i++) await run(room, 1);
  if (!done()) throw new Error(`never: ${what}`);
}

async function typeAtEnd(replica: Replica, text: string): Promise<void> {
  for (const char of text)
    await replica.apply({ op: 'text.insert', pos: replica.textLength(replica.primary), text: char });
}

describe("a progressive open with engines' code on demand", () => {
  it("a peer's edit made after the window's typing, while the window's Loro loads: each in every engine once", async () => {
    const room = simRoom({ seed: 11 });
    await room.open('storage');
    const { registry, code } = gatedRegistry();
    const window = await room.open('window', { engines: registry, progressive: true });
    await run(room, 20);
    await typeAtEnd(window, 'window: ');
    code.yjs.release();
    await until(room, () => !window.loading().includes('yjs'), "the window's Yjs loaded");
    // A stock Yjs client's bridge: it sees the typing in Yjs, and appends to it there. Its identities
    // are chosen so that Loro orders its insertion first where the two are concurrent (the e2e's case).
    const bridge = await room.open('yjs-app', { primary: 'yjs', randomUint32: () => 1 });
    await until(room, () => bridge.textSlice('yjs') === 'window: ', "the bridge's Yjs holds the typing");
    await bridge.apply({ op: 'text.insert', pos: 8, text: 'hello from a Yjs app' });
    code.automerge.release();
    code.loro.release();
    await until(room, () => window.loading().length === 0, 'every engine loaded');
    await run(room, 200, 50);
    for (const replica of [window, bridge]) {
      for (const name of replica.engineNames) {
        const text = replica.textSlice(name);
        const what = `${replica.id}: ${name}: ${JSON.stringify(text)}`;
        // Last-writer-wins keeps one of two concurrent writes of the text (its ledger, the other).
        const once = name === 'lww' ? [0, 1] : [1];
        expect(once, what).toContain(text.split('window: ').length - 1);
        expect(once, what).toContain(text.split('hello from a Yjs app').length - 1);
      }
    }
    // Engines that held the typing when the bridge edited put the edit after it; each engine is one text
    // in both replicas.
    for (const name of ['converge', 'yjs'] as const)
      expect(window.textSlice(name), name).toBe('window: hello from a Yjs app');
    // Loro took the typing after the bridge's edit had entered it: concurrent there (README, "Progressive
    // open", known limit), so ordered by Loro's peer ids.
    expect(window.textSlice('loro')).toBe('hello from a Yjs appwindow: ');
    for (const name of window.engineNames) expect(window.textSlice(name), name).toBe(bridge.textSlice(name));
  });

  it('an engine built before its turn (asked for by the app) takes its store and the edits made meanwhile once', async () => {
    const log = new MemoryByteLog();
    const clock = new VirtualClock(1_700_000_000_000);
    const writer = await openStored('r-early', new MemoryStore(log), clock, false);
    await writer.apply({ op: 'text.insert', pos: 0, text: 'stored. ' });
    await writer.close();
    clock.advance(60_000);
    const replica = await openStored('r-early', await copyOf(log), clock, true);
    expect(replica.loading()).toEqual(['yjs', 'automerge', 'lww', 'loro']);
    // A window's app model reads the ledger engine's, the Compare panel a digest, before their turn.
    replica.engine('lww');
    const early = replica.digest('loro');
    replica.version('automerge');
    await typeAtEnd(replica, 'typed');
    await replica.apply({ op: 'cart.add', product: 'fig', qty: 2 });
    expect(replica.loading()).toEqual(['yjs', 'automerge', 'lww', 'loro']);
    await untilLoaded(replica, clock);
    for (const [name, text] of Object.entries(textsOf(replica))) expect(text, name).toBe('stored. typed');
    for (const name of replica.engineNames) expect(replica.view(name).cart, name).toEqual({ fig: 2 });
    expect(replica.digest('loro')).not.toBe(early); // the digest read before its store loaded is gone
    await replica.close();
  });
});
