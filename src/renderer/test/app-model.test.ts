import { encodeDigestMessage, encodeSyncMessage } from '@converge/protocol';
import { ENGINES } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { comparedPeers, convergenceByEngine } from '../logic/convergence.ts';
import { frameKind } from '../logic/frame-kind.ts';
import { describeRelayProblem } from '../logic/relay-problem.ts';
import { BROADCAST_PEER } from '../logic/tapped-transport.ts';
import { closeModelsAfterEach, openModel, settle, world } from './support.ts';

closeModelsAfterEach();

describe('AppModel on a simulated network', () => {
  it('shows local edits at once and remote edits once synced, with the frames on the wire', async () => {
    const w = world();
    const a = await openModel(w, 'a');
    const b = await openModel(w, 'b');
    let notified = 0;
    b.subscribe(() => notified++);
    expect(await a.apply({ op: 'cart.add', product: 'apple', qty: 2 })).toBe(true);
    expect(a.getSnapshot().status.engines.yjs?.view.cart).toEqual({ apple: 2 });
    await settle(w);
    const snapshot = b.getSnapshot();
    expect(notified).toBeGreaterThan(0);
    for (const engine of Object.values(snapshot.status.engines))
      expect(engine?.view.cart).toEqual({ apple: 2 });
    expect(snapshot.status.peers).toEqual(['a']);
    const kinds = new Set(snapshot.wireFrames.map((f) => `${f.engine}:${f.kind}`));
    expect(kinds.has('yjs:sync step 1')).toBe(true);
    expect(kinds.has('yjs:digest')).toBe(true);
    expect(kinds.has('lww:hello (vector)')).toBe(true);
    expect(kinds.has('converge:hello (vector)')).toBe(true);
    expect(kinds.has('converge:ops')).toBe(true);
    expect([...kinds].some((k) => k.startsWith('automerge:sync'))).toBe(true);
    expect(snapshot.wireFrames.every((f) => f.kind !== 'unrecognised')).toBe(true);
    expect(snapshot.wireTotals.yjs?.in.frames).toBeGreaterThan(0);
  });

  it('logs a frame sent to every peer at once as one frame, to all peers', async () => {
    const w = world();
    const a = await openModel(w, 'a');
    await openModel(w, 'b');
    await openModel(w, 'c');
    await settle(w);
    await a.apply({ op: 'text.insert', pos: 0, text: 'x' });
    await settle(w);
    const out = a.getSnapshot().wireFrames.filter((f) => f.direction === 'out');
    for (const kind of ['converge:ops', 'yjs:update', 'automerge:change (pushed)'])
      expect(out.filter((f) => f.peer === BROADCAST_PEER && `${f.engine}:${f.kind}` === kind)).toHaveLength(
        1,
      );
    expect(out.every((f) => f.kind !== 'unrecognised')).toBe(true);
  });

  it('refuses invalid edits with a notice instead of throwing, and records valid ones', async () => {
    const w = world();
    const a = await openModel(w, 'a');
    expect(await a.apply({ op: 'text.insert', pos: 5, text: 'x' })).toBe(false);
    expect(await a.apply({ op: 'counter.increment', name: 'likes', by: -1 })).toBe(false);
    expect(a.getSnapshot().notices.map((n) => n.level)).toEqual(['error', 'error']);
    expect(await a.apply({ op: 'text.insert', pos: 0, text: 'hi' })).toBe(true);
    expect(a.getSnapshot().recordedSteps).toBe(1);
    a.dismiss(a.getSnapshot().notices[0]!.id);
    expect(a.getSnapshot().notices).toHaveLength(1);
  });

  it('lists the note write LWW lost while both replicas were offline', async () => {
    const w = world();
    const a = await openModel(w, 'a');
    const b = await openModel(w, 'b');
    a.setOffline(true);
    b.setOffline(true);
    await a.apply({ op: 'note.set', value: 'from a' });
    w.clock.advance(10); // b writes later, so b wins
    await b.apply({ op: 'note.set', value: 'from b' });
    a.setOffline(false);
    b.setOffline(false);
    await settle(w);
    const ledger = a.getSnapshot().ledgers.lww ?? [];
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({ replica: 'a', field: 'note', value: 'from a', reason: 'concurrent' });
    expect(ledger[0]?.overwrittenBy.replica).toBe('b');
    expect(a.getSnapshot().status.engines.lww?.view.note).toEqual(['from b']);
    expect(b.getSnapshot().ledgers.lww).toEqual(ledger);
    expect(a.recorder.toScenario('s').steps.filter((s) => 'offline' in s || 'online' in s)).toHaveLength(2);
  });

  it('tells from the digests peers announce over the network whether each engine converged', async () => {
    const w = world();
    const a = await openModel(w, 'a');
    const b = await openModel(w, 'b');
    const badges = (model: typeof a) => {
      const s = model.getSnapshot();
      const peers = comparedPeers(s.status.id, {
        sessionPeers: s.status.peers,
        roomReplicas: ['a', 'b'],
        digestPeers: s.peerDigests.keys(),
      });
      const byEngine = convergenceByEngine(ENGINES, s.status.engines, peers, s.peerDigests);
      return Object.values(byEngine).map((c) => ({
        converged: c?.converged,
        basis: c?.peers.map((p) => p.basis),
      }));
    };
    const everywhere = (converged: boolean | undefined, basis: string) =>
      ENGINES.names.map(() => ({ converged, basis: [basis] }));
    await a.apply({ op: 'text.insert', pos: 0, text: 'typed, then ' });
    await a.apply({ op: 'text.delete', pos: 0, len: 7 }); // a deletion: equal Yjs state vectors prove nothing
    await settle(w, 120); // the second edit's digests go out 500 ms after the first's (one burst)
    expect(a.getSnapshot().peerDigests.get('b')?.yjs).toBe(b.getSnapshot().status.engines.yjs?.digest);
    expect(badges(a)).toEqual(everywhere(true, 'digest'));
    expect(badges(b)).toEqual(everywhere(true, 'digest'));

    // Offline, nothing is known about the other side: unknown, not a stale "same".
    a.setOffline(true);
    await a.apply({ op: 'text.insert', pos: 0, text: 'offline edit ' });
    await settle(w, 3);
    expect(a.getSnapshot().peerDigests.size).toBe(0);
    expect(badges(a)).toEqual(everywhere(undefined, 'none'));
    expect(badges(b)).toEqual(everywhere(undefined, 'none'));
    a.setOffline(false);
    await settle(w, 40);
    expect(badges(a)).toEqual(everywhere(true, 'digest'));
    expect(badges(b)).toEqual(everywhere(true, 'digest'));
    expect(b.getSnapshot().status.engines.yjs?.view.text).toBe('offline edit then ');
  });
});

describe('frameKind', () => {
  it('shows a refused hello as a retry, and forgets it once the window is online again', async () => {
    const w = world();
    const a = await openModel(w, 'a');
    a.setOffline(true);
    await settle(w);
    // What the relay transport reports when the relay refused a socket that said no hello in time.
    a.relayReported(
      describeRelayProblem({
        kind: 'closed',
        code: 4002,
        reason: 'no hello within 5000 ms',
        permanent: false,
      }),
    );
    expect(a.getSnapshot().relayProblem?.text).toBe(
      'This window took too long to introduce itself to the relay; reconnecting.',
    );
    a.setOffline(false);
    await settle(w);
    expect(a.getSnapshot().relayProblem).toBeUndefined();
  });

  it('never throws and says so for payloads it does not recognise', () => {
    for (const engine of ENGINES.descriptors) {
      expect(frameKind(engine, new Uint8Array([0xff, 0xfe, 0x00]))).toBe('unrecognised');
      expect(frameKind(engine, new Uint8Array())).toBe('unrecognised');
      expect(frameKind(engine, encodeSyncMessage(new Uint8Array([0xff, 0xfe, 0x00])))).toBe('unrecognised');
      expect(frameKind(engine, encodeDigestMessage(1, '0123456789abcdef'))).toBe('digest');
    }
    expect(frameKind(ENGINES.get('yjs'), encodeSyncMessage(Uint8Array.of(0, 0)))).toBe('sync step 1');
  });
});
