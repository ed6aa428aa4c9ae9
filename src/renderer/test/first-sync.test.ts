import { MemoryStore } from '@converge/replica';
import { describe, expect, it } from 'vitest';
import { firstSync, isEmptyVersion } from '../logic/first-sync.ts';
import { closeModelsAfterEach, openModel, settle, world } from './support.ts';

closeModelsAfterEach();

describe('first sync of a new window', () => {
  it('is done once a peer announces the digest this window holds', () => {
    const input = {
      primary: 'yjs',
      ownDigest: 'd1',
      online: true,
      offline: false,
      bytesReceived: 2048,
    } as const;
    expect(firstSync({ ...input, peerDigests: new Map([['storage', { yjs: 'd0' }]]) })).toEqual({
      phase: 'receiving',
      bytes: 2048,
    });
    expect(firstSync({ ...input, peerDigests: new Map([['storage', { yjs: 'd1' }]]) }).phase).toBe('done');
    // Its own digest not known yet (the first status): not done, whatever a peer announced.
    expect(firstSync({ ...input, ownDigest: undefined, peerDigests: new Map([['storage', {}]]) }).phase).toBe(
      'receiving',
    );
    expect(firstSync({ ...input, online: false, offline: true, peerDigests: new Map() })).toEqual({
      phase: 'waiting',
      offline: true,
    });
    expect(isEmptyVersion({ kind: 'heads', heads: [] })).toBe(true);
    expect(isEmptyVersion({ kind: 'vector', entries: { a: 1 } })).toBe(false);
  });

  it('a new replica waits for the room document; a reopened one shows its own at once', async () => {
    const w = world();
    const a = await openModel(w, 'a');
    await a.applyEdit({ kind: 'text', field: 'text', action: 'insert', pos: 0, text: 'the room text' });
    await settle(w);
    const store = new MemoryStore();
    const b = await openModel(w, 'b', store);
    expect(b.getSnapshot().firstSync.phase).not.toBe('done');
    await settle(w, 80);
    expect(b.textOf('text')).toBe('the room text');
    expect(b.getSnapshot().firstSync.phase).toBe('done');
    b.close();
    await b.replica.close();
    const again = await openModel(w, 'b', store);
    expect(again.textOf('text')).toBe('the room text');
    expect(again.getSnapshot().firstSync.phase).toBe('done');
  });
});
