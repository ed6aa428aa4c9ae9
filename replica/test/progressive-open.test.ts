/**
 * A progressive open (issue 19: reopening a 1 MB document took seconds, most of it Automerge): `open`
 * resolves once the primary engine has loaded; the others load in later tasks, take the edits made
 * meanwhile (deferred intents, stored with the edit so a crash loses none) and peers' messages held
 * for them, and end as an eager open would have left them.
 */
import { VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import type { EngineName } from '../src/engine-name.ts';
import { EngineRegistry } from '../src/engine-registry.ts';
import { ENGINES } from '../src/engines/index.ts';
import type { MemoryByteLog } from '../src/log-store.ts';
import type { Replica } from '../src/replica.ts';
import { MemoryStore } from '../src/store.ts';
import type { Intent } from '../src/workspace.ts';
import { closeSimRoomsAfterEach, simRoom } from '../testing/sim-room.ts';
import { copyOf, openStored, textsOf, untilLoaded, writtenLog } from '../testing/stored-replica.ts';

closeSimRoomsAfterEach();

const START = 1_700_000_000_000;
const ID = 'r-progressive';
/** Reopened a minute later: last-writer-wins stamps the new edits after the stored ones. */
const REOPEN = START + 60_000;

/** A log holding a text every engine loaded (a compaction, then a few records). */
async function storedDocument(): Promise<MemoryByteLog> {
  const log = await writtenLog(
    ID,
    START,
    async (writer, clock) => {
      await writer.apply({
        op: 'text.insert',
        pos: 0,
        text: 'the quick brown fox jumps over the lazy dog. ',
      });
      for (let i = 0; i < 6; i++)
        await writer.apply({ op: 'text.insert', pos: 4 + i, text: 'slow '.charAt(i % 5) });
      await writer.apply({ op: 'cart.add', product: 'apple', qty: 2 });
      clock.advance(10); // the compaction's own task
      await writer.apply({ op: 'text.delete', pos: 0, len: 4 });
    },
    4,
  );
  expect(log.recordCount()).toBeGreaterThan(0);
  return log;
}

/** Edits made right after the open: text at both ends and inside, a deletion, a counter and the cart. */
const EDITS: readonly Intent[] = [
  { op: 'text.insert', pos: 0, text: 'Say: ' },
  { op: 'text.insert', pos: 20, text: '[mid]' },
  { op: 'text.delete', pos: 10, len: 3 },
  { op: 'counter.increment', name: 'likes', by: 2 },
  { op: 'cart.add', product: 'pear', qty: 1 },
  { op: 'text.insert', pos: 0, text: '> ' },
];

async function eagerlyEdited(log: MemoryByteLog) {
  const eager = await openOn(await copyOf(log), new VirtualClock(REOPEN), false);
  for (const edit of EDITS) await eager.apply(edit);
  const result = { texts: textsOf(eager), views: viewsOf(eager) };
  await eager.close();
  return result;
}

function viewsOf(replica: Replica): Record<string, unknown> {
  return Object.fromEntries(replica.engineNames.map((name) => [name, replica.view(name)]));
}

describe('a progressive open', () => {
  it('resolves with the primary loaded and editable while the other engines still load', async () => {
    const log = await storedDocument();
    const eager = await openOn(await copyOf(log), new VirtualClock(REOPEN), false);
    const stored = eager.textSlice(eager.primary);
    expect(eager.loading()).toEqual([]);
    await eager.close();

    const clock = new VirtualClock(REOPEN);
    const replica = await openOn(await copyOf(log), clock, true);
    const others = ENGINES.names.filter((name) => name !== replica.primary);
    expect(replica.loading()).toEqual(others);
    expect(replica.status().loading).toEqual(others);
    expect(replica.textSlice(replica.primary)).toBe(stored);
    for (const name of others) expect(replica.textLength(name), name).toBe(0); // nothing loaded yet
    // Neither "converged" nor "differs" for an engine still loading: it is left out of the comparison.
    expect(Object.keys(replica.convergence())).toEqual([replica.primary]);
    expect(replica.canUndo).toBe(false);
    const events: (readonly EngineName[])[] = [];
    replica.subscribe((event) => {
      if (event.type === 'loading') events.push(event.engines);
    });
    await replica.apply({ op: 'text.insert', pos: 0, text: 'A ' });
    expect(replica.textSlice(replica.primary)).toBe(`A ${stored}`);
    expect(await replica.undo()).toBe(false); // the step would leave out the engines still loading
    const switched = replica.setPrimary('yjs'); // waits for yjs to load

    await untilLoaded(replica, clock);
    await switched;
    expect(replica.primary).toBe('yjs');
    expect(events).toHaveLength(others.length);
    expect(events.at(-1)).toEqual([]);
    for (const name of ENGINES.names) expect(replica.textSlice(name), name).toBe(`A ${stored}`);
    expect(Object.keys(replica.convergence()).sort()).toEqual([...ENGINES.names].sort());
    await replica.close();
  });

  it('leaves every engine as an eager open and the same edits would', async () => {
    const log = await storedDocument();
    const { texts: expectedTexts, views: expectedViews } = await eagerlyEdited(log);

    const clock = new VirtualClock(REOPEN);
    const replica = await openOn(await copyOf(log), clock, true);
    for (const edit of EDITS) await replica.apply(edit); // before any other engine loaded
    expect(replica.loading().length).toBe(ENGINES.size - 1);
    await untilLoaded(replica, clock);
    expect(textsOf(replica)).toEqual(expectedTexts);
    expect(viewsOf(replica)).toEqual(expectedViews);
    await replica.close();
  });

  it('loses no edit when the window dies before the other engines loaded, and applies none twice', async () => {
    const log = await storedDocument();
    const { views: expectedViews } = await eagerlyEdited(log);

    const crashed = await copyOf(log);
    const dying = await openOn(crashed, new VirtualClock(REOPEN), true);
    for (const edit of EDITS) await dying.apply(edit); // acknowledged: durable with their deferrals
    expect(dying.loading().length).toBe(ENGINES.size - 1);
    // The window dies here: its engines never load, nothing more is written. Reopen the same store,
    // progressively again (the deferred intents wait for their engines once more), then eagerly.
    const clock = new VirtualClock(REOPEN);
    const reopened = await openOn(crashed, clock, true);
    await untilLoaded(reopened, clock);
    expect(viewsOf(reopened)).toEqual(expectedViews);
    await reopened.close();
    const again = await openOn(crashed, new VirtualClock(REOPEN), false);
    expect(viewsOf(again)).toEqual(expectedViews); // realised records: no intent applied twice
    await again.close();
    await dying.close();
  });

  it('takes in what a peer sent an engine while it loaded, and converges', async () => {
    const { clock, open } = simRoom({ seed: 3, startMs: REOPEN, latencyMs: 1, antiEntropyMs: 0 });
    const peer = await open('peer');
    await peer.apply({ op: 'text.insert', pos: 0, text: 'from the peer' });
    const log = await storedDocument();
    const replica = await open(ID, { store: await copyOf(log), progressive: true });
    const held: EngineName[] = [];
    replica.subscribe((event) => {
      if (event.type === 'traffic' && replica.loading().includes(event.engine)) held.push(event.engine);
    });
    clock.advance(5); // the handshakes cross; most engines are still loading
    await untilLoaded(replica, clock);
    clock.advance(200);
    expect(held.length).toBeGreaterThan(0);
    for (const name of ENGINES.names) {
      expect(replica.digest(name), name).toBe(peer.digest(name));
      expect(replica.convergence()[name]?.agree, name).toEqual(['peer']);
    }
  });

  it('gives a new replica the primary’s document from its peer first, and the other engines after', async () => {
    const { clock, open } = simRoom({ seed: 5, startMs: REOPEN, latencyMs: 1, antiEntropyMs: 0 });
    const peer = await open('peer');
    await peer.apply({ op: 'text.insert', pos: 0, text: 'the document a new window waits for' });
    const fresh = await open('fresh', { progressive: true });
    const others = ENGINES.names.filter((name) => name !== fresh.primary);
    for (let ms = 0; ms < 1000 && fresh.textLength(fresh.primary) === 0; ms++) {
      clock.advance(1);
      await new Promise((resolve) => setImmediate(resolve));
    }
    expect(fresh.textSlice(fresh.primary)).toBe(peer.textSlice(peer.primary));
    expect(fresh.loading()).toEqual(others); // their messages wait, so the primary's came in first
    await untilLoaded(fresh, clock);
    clock.advance(200);
    for (const name of ENGINES.names) expect(fresh.digest(name), name).toBe(peer.digest(name));
  });

  it('loses no edit when the window dies while the other engines take the deferred ones', async () => {
    const log = await storedDocument();
    const { views: expectedViews } = await eagerlyEdited(log);
    for (const durable of [1, 5, 13]) {
      // A log whose appends stop being durable after `durable` more: the window dies there.
      const crashing = await copyOf(log);
      const bytes = crashing.log;
      const clock = new VirtualClock(REOPEN);
      const dying = await openOn(crashing, clock, true);
      for (const edit of EDITS) await dying.apply(edit);
      let left = durable;
      const append = bytes.append.bind(bytes);
      bytes.append = (record) => (left-- > 0 ? append(record) : new Promise<void>(() => {}));
      await untilLoaded(dying, clock); // the realised records past the first `durable` are lost
      bytes.append = append;
      const reopened = await openOn(crashing, new VirtualClock(REOPEN), false);
      expect(viewsOf(reopened), `${durable} realised records durable`).toEqual(expectedViews);
      await reopened.close();
    }
  });
  it('sends a peer no deferred intent an engine took before its record is durable', async () => {
    // The window's engines take the deferred typing after the open; the peer's handshake reaches them
    // while those `realised` records are still being written, and the window goes away (a reload) before
    // they are durable. Had the answer carried the engines' ops for them, the reopened window would take
    // the deferred intents again under new op ids and get the peer's copy too: the typing twice.
    const log = await storedDocument();
    const { texts: expected } = await eagerlyEdited(log);
    const { clock, net, open } = simRoom({ seed: 11, startMs: REOPEN, latencyMs: 1, antiEntropyMs: 0 });
    const peer = await open('peer');
    const bytes = (await copyOf(log)).log;
    const held: (() => void)[] = [];
    let holding = false;
    const append = bytes.append.bind(bytes);
    bytes.append = (record) =>
      holding
        ? new Promise<void>((resolve) => held.push(() => void append(record).then(resolve)))
        : append(record);
    const transport = net.transport(ID);
    const dying = await open(ID, { store: new MemoryStore(bytes), transport, progressive: true });
    for (const edit of EDITS) await dying.apply(edit); // acknowledged, before the handshakes cross
    holding = true;
    await untilLoaded(dying, clock); // the engines take the deferred intents: their records wait
    clock.advance(20); // the handshakes cross: the peer asks for what it lacks
    expect(held.length).toBeGreaterThan(0);
    // The window goes away now: what it had not written is lost (the peer keeps what it was sent).
    transport.close();
    const crashed = await copyOf(bytes);
    for (const go of held.splice(0)) go();
    holding = false;
    const reopened = await open(ID, { store: crashed, progressive: true });
    await untilLoaded(reopened, clock);
    clock.advance(200);
    for (const name of ENGINES.names) {
      expect(reopened.textSlice(name), `${name} reopened`).toBe(expected[reopened.primary]);
      expect(peer.textSlice(name), `${name} at the peer`).toBe(expected[reopened.primary]);
    }
  });

  it('builds only the primary engine before it resolves, and each other one when it loads', async () => {
    const log = await storedDocument();
    // Building an engine is part of a window's start (Automerge's first document compiles its code).
    const built: EngineName[] = [];
    const counted = new EngineRegistry(
      ENGINES.descriptors.map((descriptor) => ({
        ...descriptor,
        create: (context) => {
          built.push(descriptor.name);
          return descriptor.create(context);
        },
      })),
    );
    const clock = new VirtualClock(REOPEN);
    const replica = await openStored(ID, await copyOf(log), clock, true, counted);
    const others = ENGINES.names.filter((name) => name !== replica.primary);
    expect(built).toEqual([replica.primary]);
    // Not built: it reads as the empty engine it would be, and has no status of its own yet.
    expect(Object.keys(replica.status().engines)).toEqual([replica.primary]);
    expect(replica.status().loading).toEqual(others);
    for (const name of others) {
      expect(replica.textSlice(name), name).toBe('');
      expect(replica.textLength(name), name).toBe(0);
      expect(replica.view(name), name).toEqual(replica.schema.empty());
      expect(replica.viewWithoutText(name), name).toEqual(replica.schema.empty());
    }
    expect(built).toEqual([replica.primary]);
    await untilLoaded(replica, clock);
    expect([...built].sort()).toEqual([...ENGINES.names].sort());
    expect(Object.keys(replica.status().engines).sort()).toEqual([...ENGINES.names].sort());
    const stored = replica.textSlice(replica.primary);
    for (const name of others) expect(replica.textSlice(name), name).toBe(stored);
    await replica.close();
    expect(built).toHaveLength(ENGINES.size); // closing builds nothing
  });
});

function openOn(store: MemoryStore, clock: VirtualClock, progressive: boolean): Promise<Replica> {
  return openStored(ID, store, clock, progressive);
}
