import { ChangeSet, Text } from '@codemirror/state';
import { ENGINES } from '@converge/replica';
import { engineFacts } from '@converge/replica/descriptors';
import { describe, expect, it } from 'vitest';
import { replacementsToChanges } from '../logic/editor-edits.ts';
import type { TextUpdate } from '../logic/text-feed.ts';
import { TextMirrors } from '../logic/text-mirrors.ts';
import { type AfterFrame, AfterFramePosts } from '../worker/after-frame-posts.ts';
import { LARGE_TEXT_CHARS, PagePoster } from '../worker/page-poster.ts';
import { PortByteLog, type PortLike, serveByteLog } from '../worker/port-byte-log.ts';
import { parseToPage, parseToWorker, type ToPage, type ToWorker } from '../worker/protocol.ts';
import { ReplicaClient, type WorkerLike } from '../worker/replica-client.ts';
import {
  changedFields,
  snapshotPatch,
  statusWithoutTexts,
  type WorkerSnapshot,
  withFramesAdded,
} from '../worker/wire-snapshot.ts';

describe('the page ↔ worker protocol', () => {
  it('accepts well-formed messages both ways', () => {
    const edit = ChangeSet.of({ from: 0, insert: 'a' }, 0).toJSON();
    expect(
      parseToWorker({ type: 'edit-text', seq: 1, base: 0, engine: 'yjs', field: 'text', changes: edit }).ok,
    ).toBe(true);
    expect(parseToWorker({ type: 'history', id: 3, op: 'undo' }).ok).toBe(true);
    expect(parseToWorker({ type: 'request', id: 4, request: { what: 'history-entry', seq: 2 } }).ok).toBe(
      true,
    );
    expect(
      parseToPage({
        type: 'text',
        rev: 5,
        engine: 'yjs',
        field: 'text',
        origin: 'remote',
        deltas: [{ pos: 0, del: 1, text: 'x' }],
      }).ok,
    ).toBe(true);
    expect(parseToPage({ type: 'reply', id: 1, ok: false, error: 'no' }).ok).toBe(true);
  });

  it('refuses malformed messages with a clear error naming the message and the field', () => {
    const unknown = parseToWorker({ type: 'format-disk' });
    expect(unknown.ok).toBe(false);
    expect(!unknown.ok && unknown.error).toMatch(/malformed message "format-disk" for the replica worker/);
    const negative = parseToPage({
      type: 'text',
      rev: 1,
      engine: 'yjs',
      field: 'text',
      origin: 'remote',
      deltas: [{ pos: -1, del: 0, text: '' }],
    });
    expect(!negative.ok && negative.error).toMatch(/"text" for the page at deltas\.0\.pos/);
    expect(parseToWorker(null).ok).toBe(false);
    expect(parseToWorker({ type: 'skew', id: 1, ms: Number.NaN }).ok).toBe(false);
    expect(parseToPage('ready').ok).toBe(false);
  });
});

describe('TextMirrors', () => {
  it('follows deltas in O(edit), tells subscribers, and builds the string only when read', () => {
    const mirrors = new TextMirrors({ yjs: { text: 'hello\nworld' } });
    const updates: unknown[] = [];
    // (each replacement's `insertDoc`: the next test)
    mirrors.subscribe('yjs', 'text', (update) =>
      updates.push({
        ...update,
        changes: update.changes.map(({ from, to, insert }) => ({ from, to, insert })),
      }),
    );
    mirrors.apply('yjs', 'text', 'remote', [
      { pos: 5, del: 0, text: ',' },
      { pos: 0, del: 1, text: 'H' },
    ]);
    expect(mirrors.text('yjs', 'text')).toBe('Hello,\nworld');
    expect(mirrors.length('yjs', 'text')).toBe(12);
    expect(updates).toEqual([
      {
        engine: 'yjs',
        field: 'text',
        origin: 'remote',
        changes: [{ from: 5, to: 5, insert: ',' }],
        length: 12,
      },
      {
        engine: 'yjs',
        field: 'text',
        origin: 'remote',
        changes: [{ from: 0, to: 1, insert: 'H' }],
        length: 12,
      },
    ]);
  });

  it('hands subscribers each insertion as the Text it put in its document, for the editor to take as it is', () => {
    const mirrors = new TextMirrors({ yjs: { text: 'ab' } });
    const updates: TextUpdate[] = [];
    mirrors.subscribe('yjs', 'text', (update) => updates.push(update));
    const big = 'line one\nline two\r\nthree'.repeat(50);
    mirrors.apply('yjs', 'text', 'remote', [{ pos: 1, del: 1, text: big }]);
    const [change] = updates[0]?.changes ?? [];
    expect(change?.insertDoc?.toString()).toBe(big);
    expect(change?.insertDoc?.lines).toBe(big.split('\n').length);
    // The editor's change takes that Text, not the string (which it would split into lines again).
    const [spec] = replacementsToChanges(updates[0]?.changes ?? []) as { insert: unknown }[];
    expect(spec?.insert).toBe(change?.insertDoc);
    const editor = ChangeSet.of(replacementsToChanges(updates[0]?.changes ?? []), 2).apply(Text.of(['ab']));
    expect(editor.toString()).toBe(mirrors.text('yjs', 'text'));
    expect(editor.length).toBe(mirrors.length('yjs', 'text'));
  });

  it('hands an editor its document as kept (lines by "\\n" only), current after deltas', () => {
    const mirrors = new TextMirrors({ yjs: { text: 'one\ntwo\r\nthree' } });
    const doc = mirrors.doc('yjs', 'text');
    expect(doc.lines).toBe(3);
    expect(doc.line(2).text).toBe('two\r');
    expect(mirrors.doc('yjs', 'text')).toBe(doc);
    mirrors.apply('yjs', 'text', 'remote', [{ pos: 3, del: 0, text: '!' }]);
    expect(mirrors.doc('yjs', 'text').toString()).toBe('one!\ntwo\r\nthree');
    expect(mirrors.doc('automerge', 'text').length).toBe(0);
  });

  it('refuses a delta beyond the end (the caller re-reads), and reset replaces the text', () => {
    const mirrors = new TextMirrors({ loro: { text: 'abc' } });
    expect(() => mirrors.apply('loro', 'text', 'remote', [{ pos: 2, del: 5, text: '' }])).toThrow(RangeError);
    mirrors.reset('loro', 'text', 'xyz!');
    expect(mirrors.text('loro', 'text')).toBe('xyz!');
  });
});

describe('the snapshot on the wire', () => {
  it('leaves texts out of the views and carries only what changed', () => {
    const status = {
      id: 'a',
      engines: { yjs: { view: { text: 'long text', likes: 2 }, digest: 'd' } },
    } as never;
    const stripped = statusWithoutTexts(status, ['text']) as unknown as {
      engines: { yjs: { view: { text: string; likes: number } } };
    };
    expect(stripped.engines.yjs.view).toEqual({ text: '', likes: 2 });
    const same = [1];
    expect(changedFields({ a: same, b: 1 }, { a: same, b: 2 })).toEqual({ b: 2 });
  });

  it("carries the wire log's frames added since the last snapshot, not the whole ring", () => {
    const frames = [1, 2, 3, 4, 5].map(frame);
    const previous = { offline: false, wireFrames: frames.slice(0, 3) } as unknown as WorkerSnapshot;
    // The ring dropped frame 1 and took in 4 and 5.
    const next = { offline: false, wireFrames: frames.slice(1) } as unknown as WorkerSnapshot;
    expect(snapshotPatch(previous, next)).toEqual({ wireFramesAdded: [frames[3], frames[4]] });
    expect(snapshotPatch(previous, { ...next, wireFrames: previous.wireFrames })).toEqual({});
    expect(snapshotPatch(undefined, next)).toEqual(next);
    // The page's copy keeps the newest frames the ring holds.
    const held = frames.slice(0, 3);
    expect(withFramesAdded(held, frames.slice(3), 4)).toEqual(frames.slice(1));
    expect(withFramesAdded(held, [])).toBe(held);
  });
});

function frame(seq: number) {
  return { seq, at: seq, direction: 'out', peer: 'b', engine: 'yjs', kind: 'update', bytes: 10 } as const;
}

/** A worker the test plays: what the page posts is kept, what the worker says is delivered by `say`. */
function fakeWorker() {
  const posted: unknown[] = [];
  const worker: WorkerLike & { say(message: unknown): void; terminated: boolean } = {
    onmessage: null,
    onerror: null,
    terminated: false,
    postMessage: (message) => posted.push(message),
    terminate() {
      this.terminated = true;
    },
    say(message) {
      this.onmessage?.({ data: message } as MessageEvent);
    },
  };
  return { worker, posted };
}

const SNAPSHOT = {
  status: {
    id: 'alice',
    primary: 'yjs',
    connection: 'online',
    peers: [],
    skewMs: 0,
    offline: false,
    problems: [],
    engines: { yjs: { view: { text: '', likes: 1 }, digest: 'x', peerVersions: {} } },
  },
  offline: false,
  notices: [],
  history: [],
};

async function startedClient(afterFrame?: AfterFrame) {
  const { worker, posted } = fakeWorker();
  const persisted: unknown[] = [];
  const starting = ReplicaClient.start({
    worker,
    ...(afterFrame === undefined ? {} : { afterFrame }),
    config: { relayUrl: 'ws://r', adminUrl: 'http://a', room: 'room', replicaId: 'alice' },
    store: { kind: 'indexeddb', name: 'db' },
    credential: async () => 'token',
    persistCheckout: (snapshot) => persisted.push(snapshot),
  });
  // Nothing is sent before the worker listens (a module worker drops earlier messages).
  expect(posted).toEqual([]);
  worker.say({ type: 'listening' });
  expect(posted).toMatchObject([{ type: 'init', store: { kind: 'indexeddb', name: 'db' } }]);
  const engines = ENGINES.descriptors.map(engineFacts);
  worker.say({
    type: 'ready',
    rev: 7,
    engines,
    texts: { yjs: { text: 'abc' } },
    snapshot: structuredClone(SNAPSHOT),
    checkout: {},
  });
  const client = await starting;
  posted.length = 0;
  return { client, worker, posted, persisted };
}

/** The worker reporting a change of yjs's text at revision 8. */
function sayYjsChanged(worker: ReturnType<typeof fakeWorker>['worker'], pos: number, text: string): void {
  worker.say({
    type: 'text',
    rev: 8,
    engine: 'yjs',
    field: 'text',
    origin: 'remote',
    deltas: [{ pos, del: 0, text }],
  });
}

describe('ReplicaClient (the page side)', () => {
  it('knows the engines by the facts the worker sent, without their code', async () => {
    const { client } = await startedClient();
    expect(client.registry.names).toEqual(ENGINES.names);
    expect(client.registry.descriptors.filter((d) => d.keepsLedger).map((d) => d.name)).toEqual(
      ENGINES.descriptors.filter((d) => d.ledger !== undefined).map((d) => d.name),
    );
    expect(client.registry.get('yjs').label).toBe(ENGINES.get('yjs').label);
    expect(client.windowActions().engines).toEqual(ENGINES.names);
    const facts = { ...engineFacts(ENGINES.get('yjs')), keepsLedger: 'yes' };
    const parsed = parseToPage({
      type: 'ready',
      rev: 1,
      engines: [facts],
      texts: {},
      snapshot: {},
      checkout: {},
    });
    expect(parsed.ok).toBe(false);
  });

  it('keeps the texts and the snapshot current from the stream; views read texts from the mirrors', async () => {
    const { client, worker } = await startedClient();
    expect(client.textOf('text')).toBe('abc');
    sayYjsChanged(worker, 3, 'd');
    expect(client.getSnapshot().status.engines.yjs?.view.text).toBe('abcd');
    let heard = 0;
    client.subscribe(() => heard++);
    worker.say({ type: 'snapshot', snapshot: { offline: true } });
    expect(heard).toBe(1);
    expect(client.getSnapshot().offline).toBe(true);
    expect(client.getSnapshot().status.id).toBe('alice');
  });

  it('keeps the identity of what a snapshot did not change, and says nothing when nothing changed', async () => {
    const { client, worker } = await startedClient();
    let heard = 0;
    client.subscribe(() => heard++);
    const before = client.getSnapshot();
    const yjsBefore = before.status.engines.yjs;
    // The worker sends the status anew (a structured clone: every object new) with only the digest changed.
    const status = structuredClone(SNAPSHOT.status);
    status.engines.yjs.digest = 'y';
    worker.say({ type: 'snapshot', snapshot: { status, notices: [] } });
    expect(heard).toBe(1);
    const after = client.getSnapshot();
    expect(after.status).not.toBe(before.status);
    expect(after.status.engines.yjs?.digest).toBe('y');
    expect(after.status.engines.yjs?.view).toBe(yjsBefore?.view);
    expect(after.status.peers).toBe(before.status.peers);
    expect(after.notices).toBe(before.notices);
    // The view still reads its text from the mirrors.
    sayYjsChanged(worker, 0, '>');
    expect(after.status.engines.yjs?.view.text).toBe('>abc');
    // A view whose other fields changed is a new object, its text read from the mirrors too.
    const liked = structuredClone(status);
    liked.engines.yjs.view.likes = 2;
    worker.say({ type: 'snapshot', snapshot: { status: liked } });
    expect(client.getSnapshot().status.engines.yjs?.view).not.toBe(yjsBefore?.view);
    expect(client.getSnapshot().status.engines.yjs?.view).toMatchObject({ likes: 2, text: '>abc' });
    expect(heard).toBe(2);
    // The same status again: nothing to render.
    worker.say({ type: 'snapshot', snapshot: { status: structuredClone(liked) } });
    expect(heard).toBe(2);
  });

  it("appends the wire log's added frames to the ones it holds", async () => {
    const { client, worker } = await startedClient();
    worker.say({ type: 'snapshot', snapshot: { wireFrames: [frame(1), frame(2)] } });
    const held = client.getSnapshot().wireFrames;
    worker.say({ type: 'snapshot', snapshot: { wireFramesAdded: [frame(3)] } });
    const wireFrames = client.getSnapshot().wireFrames;
    expect(wireFrames.map((f) => f.seq)).toEqual([1, 2, 3]);
    expect(wireFrames[0]).toBe(held[0]);
  });

  it('sends editor edits with the revision it has seen, and hears them carried out', async () => {
    const { client, worker, posted } = await startedClient();
    const done: unknown[] = [];
    client.onEditDone((seq, field, exact) => done.push([seq, field, exact]));
    const seq = client.editText('yjs', 'text', ChangeSet.of({ from: 0, insert: 'z' }, 3));
    expect(posted).toEqual([
      {
        type: 'edit-text',
        seq,
        base: 7,
        engine: 'yjs',
        field: 'text',
        changes: ChangeSet.of({ from: 0, insert: 'z' }, 3).toJSON(),
      },
    ]);
    worker.say({ type: 'edit-done', seq, field: 'text', exact: true });
    expect(done).toEqual([[seq, 'text', true]]);
  });

  it("posts an editor edit at once and the caret's presence after the frame, in order", async () => {
    const frames: (() => void)[] = [];
    const { client, posted } = await startedClient((flush) => frames.push(flush));
    const presence = (at: number) =>
      ({
        name: 'Al',
        colour: '#123456',
        panel: 'compare',
        caret: { field: 'text', anchor: at, head: at },
      }) as const;
    // The edit goes before the keystroke's frame: a page reloaded within it must not lose the keystroke.
    const first = client.editText('yjs', 'text', ChangeSet.of({ from: 3, insert: 'd' }, 3));
    expect(posted).toMatchObject([{ type: 'edit-text', seq: first, base: 7 }]);
    client.setPresence(presence(4));
    // The caret waits for the frame; the next edit posts it first, keeping the order.
    expect(posted).toHaveLength(1);
    expect(frames).toHaveLength(1);
    const second = client.editText('yjs', 'text', ChangeSet.of({ from: 4, insert: 'e' }, 4));
    client.setPresence(presence(5));
    client.setPresence(presence(5));
    expect(posted).toMatchObject([
      { type: 'edit-text', seq: first, base: 7 },
      { type: 'presence', presence: presence(4) },
      { type: 'edit-text', seq: second, base: 7 },
    ]);
    expect(posted).toHaveLength(3);
    for (const frame of frames.splice(0)) frame();
    expect(posted.slice(3)).toEqual([{ type: 'presence', presence: presence(5) }]);
    // Any other message goes at once, after what waits; so does a flush (the page being hidden).
    posted.length = 0;
    client.setPresence(presence(6));
    void client.undo();
    expect(posted).toMatchObject([{ type: 'presence' }, { type: 'history', op: 'undo' }]);
    client.setPresence(presence(7));
    client.flush();
    expect(posted.slice(2)).toMatchObject([{ type: 'presence' }, { type: 'flush' }]);
    // The frames scheduled meanwhile find nothing left to post.
    for (const frame of frames.splice(0)) frame();
    expect(posted).toHaveLength(4);
  });

  it('resolves commands by their replies, and turns failures into notices, never throws', async () => {
    const { client, worker, posted } = await startedClient();
    const undone = client.undo();
    const undo = posted.pop() as { id: number };
    worker.say({ type: 'reply', id: undo.id, ok: true, value: true });
    expect(await undone).toBe(true);
    const skew = client.setSkew(5);
    const asked = posted.pop() as { id: number };
    worker.say({ type: 'reply', id: asked.id, ok: false, error: 'disk full' });
    await skew;
    expect(posted.pop()).toEqual({ type: 'notify', level: 'error', message: 'disk full' });
  });

  it('reports a malformed message from the worker as a notice and keeps going', async () => {
    const { client, worker, posted } = await startedClient();
    worker.say({ type: 'text', rev: 'nine' });
    expect(posted).toMatchObject([{ type: 'notify', level: 'error' }]);
    expect((posted[0] as { message: string }).message).toMatch(
      /malformed message "text" for the page at rev/,
    );
    worker.say({ type: 'snapshot', snapshot: { offline: true } });
    expect(client.getSnapshot().offline).toBe(true);
  });

  it('re-reads a text whose delta does not fit its mirror', async () => {
    const { client, worker, posted } = await startedClient();
    sayYjsChanged(worker, 10, '!');
    const request = posted.find((m) => (m as { type: string }).type === 'request') as { id: number };
    expect(request).toMatchObject({ request: { what: 'text', engine: 'yjs', field: 'text' } });
    worker.say({ type: 'reply', id: request.id, ok: true, value: 'fresh' });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(client.textOf('text')).toBe('fresh');
  });

  it('answers the worker’s credential requests and keeps the checkout session it persists', async () => {
    const { worker, posted, persisted } = await startedClient();
    worker.say({ type: 'credential-request', id: 2 });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(posted).toEqual([{ type: 'credential', id: 2, token: 'token' }]);
    worker.say({ type: 'checkout-persist', snapshot: { keys: 1 } });
    expect(persisted).toEqual([{ keys: 1 }]);
  });

  it('fails to start with the worker’s reason, or a malformed first message', async () => {
    const { worker } = fakeWorker();
    const options = {
      worker,
      config: { relayUrl: 'ws://r', adminUrl: 'http://a', room: 'room', replicaId: 'alice' },
      store: { kind: 'indexeddb', name: 'db' } as const,
      credential: async () => 'token',
      persistCheckout: () => {},
    };
    const failed = ReplicaClient.start(options);
    worker.say({ type: 'failed', message: 'IndexedDB is disabled' });
    await expect(failed).rejects.toThrow('IndexedDB is disabled');
    const { worker: other } = fakeWorker();
    const malformed = ReplicaClient.start({ ...options, worker: other });
    other.say({ type: 'ready' });
    await expect(malformed).rejects.toThrow(/malformed message "ready"/);
  });
});

describe('AfterFramePosts (the keystroke waits for its frame)', () => {
  it('keeps only the newest of presences that wait behind nothing else, never one behind an edit', () => {
    const sent: ToWorker[] = [];
    const frames: (() => void)[] = [];
    const posts = new AfterFramePosts(
      (m) => sent.push(m),
      (flush) => frames.push(flush),
    );
    const presence = (at: number): ToWorker => ({
      type: 'presence',
      presence: {
        name: 'Al',
        colour: '#123456',
        panel: 'compare',
        caret: { field: 'text', anchor: at, head: at },
      },
    });
    posts.defer(presence(1));
    posts.defer(presence(2));
    posts.defer({ type: 'flush' });
    posts.defer(presence(3));
    expect(sent).toEqual([]);
    frames.shift()?.();
    expect(sent).toEqual([presence(2), { type: 'flush' }, presence(3)]);
    expect(frames).toEqual([]);
  });
});

describe('PortByteLog', () => {
  it('carries a byte log across a MessageChannel, errors included', async () => {
    const { port1, port2 } = new MessageChannel();
    const appended: Uint8Array[] = [];
    serveByteLog(port1 as unknown as PortLike, {
      open: async () => ({ records: appended }),
      append: async (record) => {
        if (record.length === 0) throw new Error('empty record');
        appended.push(record);
      },
      compact: async () => {},
      close: async () => {},
    });
    const log = new PortByteLog(port2 as unknown as PortLike);
    await log.append(new Uint8Array([1, 2]));
    await expect(log.append(new Uint8Array())).rejects.toThrow('empty record');
    const contents = await log.open();
    expect(contents.records.map((r) => [...r])).toEqual([[1, 2]]);
    await log.close();
    port1.close();
    port2.close();
  });

  it('answers a malformed call with an error', async () => {
    const { port1, port2 } = new MessageChannel();
    serveByteLog(port1 as unknown as PortLike, {
      open: async () => ({ records: [] }),
      append: async () => {},
      compact: async () => {},
      close: async () => {},
    });
    const reply = new Promise((resolve) => {
      port2.onmessage = (event) => resolve(event.data);
    });
    port2.postMessage({ id: 9, method: 'truncate' });
    expect(await reply).toMatchObject({
      id: 9,
      ok: false,
      error: expect.stringMatching(/malformed store call/),
    });
    port1.close();
    port2.close();
  });
});

describe('PagePoster (the worker posts one message per task)', () => {
  type TextMessage = Extract<ToPage, { type: 'text' }>;
  const text = (engine: string, rev: number): TextMessage => ({
    type: 'text',
    rev,
    engine,
    field: 'text',
    origin: 'remote',
    deltas: [],
  });

  it("sends one task's messages as one batch, in order, and others at once after what waited", () => {
    const sent: unknown[] = [];
    const tasks: (() => void)[] = [];
    const poster = new PagePoster(
      (message) => sent.push(message),
      (flush) => tasks.push(flush),
    );
    const engines = ['converge', 'yjs', 'automerge', 'lww', 'loro'];
    engines.forEach((engine, i) => {
      poster.post(text(engine, i + 1));
    });
    poster.post({ type: 'snapshot', snapshot: {} });
    expect(sent).toEqual([]);
    for (const task of tasks.splice(0)) task();
    expect(sent).toEqual([
      {
        type: 'batch',
        messages: [...engines.map((engine, i) => text(engine, i + 1)), { type: 'snapshot', snapshot: {} }],
      },
    ]);
    // A message the starting page handles itself is not held back, nor overtaken.
    poster.post(text('yjs', 9));
    poster.post({ type: 'checkout-persist', snapshot: 1 });
    poster.post(text('yjs', 10));
    for (const task of tasks.splice(0)) task();
    expect(sent.slice(1)).toEqual([
      text('yjs', 9),
      { type: 'checkout-persist', snapshot: 1 },
      text('yjs', 10),
    ]);
  });

  it('posts a large text change at once, after what waited, without waiting for the task to end', () => {
    const sent: unknown[] = [];
    const tasks: (() => void)[] = [];
    const poster = new PagePoster(
      (message) => sent.push(message),
      (flush) => tasks.push(flush),
    );
    const large = (rev: number, chars: number): TextMessage => ({
      ...text('converge', rev),
      deltas: [
        { pos: 0, del: 0, text: 'x'.repeat(chars - 1) },
        { pos: 0, del: 1, text: '' },
      ],
    });
    poster.post(text('yjs', 1));
    // Just under the size: held like any other.
    poster.post(large(2, LARGE_TEXT_CHARS - 1));
    expect(sent).toEqual([]);
    // A new window's whole document, in the middle of a long task: the page gets it now.
    poster.post(large(3, LARGE_TEXT_CHARS));
    expect(sent).toEqual([
      { type: 'batch', messages: [text('yjs', 1), large(2, LARGE_TEXT_CHARS - 1)] },
      large(3, LARGE_TEXT_CHARS),
    ]);
    // What follows in the same task waits for its end again.
    poster.post(text('lww', 4));
    expect(sent).toHaveLength(2);
    for (const task of tasks.splice(0)) task();
    expect(sent.slice(2)).toEqual([text('lww', 4)]);
  });

  it('the page handles a batch as the messages in it, one by one', async () => {
    const { client, worker } = await startedClient();
    let heard = 0;
    client.subscribe(() => heard++);
    worker.say({
      type: 'batch',
      messages: [
        {
          type: 'text',
          rev: 8,
          engine: 'yjs',
          field: 'text',
          origin: 'remote',
          deltas: [{ pos: 3, del: 0, text: 'd' }],
        },
        {
          type: 'text',
          rev: 9,
          engine: 'yjs',
          field: 'text',
          origin: 'remote',
          deltas: [{ pos: 4, del: 0, text: 'e' }],
        },
        { type: 'snapshot', snapshot: { offline: true } },
      ],
    });
    expect(client.textOf('text')).toBe('abcde');
    expect(client.getSnapshot().offline).toBe(true);
    expect(heard).toBe(1);
  });
});

describe("the page's start marks", () => {
  it("marks the primary's first text from a peer as the page receives it, once", async () => {
    const { worker } = await startedClient();
    const marks = () => performance.getEntriesByName('converge:page-remote-text', 'mark').length;
    performance.clearMarks('converge:page-remote-text');
    const say = (rev: number, engine: string, origin: 'local' | 'remote') =>
      worker.say({
        type: 'text',
        rev,
        engine,
        field: 'text',
        origin,
        deltas: [{ pos: 0, del: 0, text: 'x' }],
      });
    say(8, 'yjs', 'local');
    say(9, 'automerge', 'remote');
    expect(marks()).toBe(0);
    say(10, 'yjs', 'remote');
    say(11, 'yjs', 'remote');
    expect(marks()).toBe(1);
    performance.clearMarks('converge:page-remote-text');
  });
});
