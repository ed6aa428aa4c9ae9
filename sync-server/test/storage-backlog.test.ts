// The storage peers' thread holds at most `maxBacklogBytes` per room of payloads it has not handled yet;
// past it, what its in-process node receives is dropped until it catches up. A bundle (every engine's
// update of one intent, one frame) must be taken or dropped whole, as the room's backpressure does: if
// the limit fell between two of its entries, the storage peer would apply the intent in some engines and
// not in the others. A recording worker (fixtures/recording-peer-worker.mjs) tells what reached it.
import type { Transport, TransportHandlers } from '@converge/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from '../src/log.ts';
import { PeerThread } from '../src/storage/peer-thread.ts';

const WORKER = new URL('./fixtures/recording-peer-worker.mjs', import.meta.url);

interface Line {
  readonly level: string;
  readonly event: string;
  readonly fields: Record<string, unknown> | undefined;
}

/** A node whose handlers the test calls, as the in-process node does for each entry of a frame. */
function fakeNode(): { transport: Transport; handlers: () => TransportHandlers } {
  let handlers: TransportHandlers | undefined;
  const transport: Transport = {
    nodeId: 'storage',
    start: (h) => {
      handlers = h;
    },
    send: () => {},
    reachable: () => new Set<string>(),
    state: () => 'online',
    close: () => {},
  };
  return {
    transport,
    handlers: () => {
      if (handlers === undefined) throw new Error('not started');
      return handlers;
    },
  };
}

let thread: PeerThread | undefined;
afterEach(async () => {
  await thread?.terminate();
  thread = undefined;
});

function start(maxBacklogBytes: number): { lines: Line[]; thread: PeerThread } {
  const lines: Line[] = [];
  const record =
    (level: string) =>
    (event: string, fields?: Record<string, unknown>): void => {
      lines.push({ level, event, fields });
    };
  const log: Logger = {
    debug: record('debug'),
    info: record('info'),
    warn: record('warn'),
    error: record('error'),
  };
  thread = new PeerThread({ log, workerUrl: WORKER, maxBacklogBytes, onLost: () => {} });
  return { lines, thread };
}

async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

const got = (lines: readonly Line[]) => lines.filter((line) => line.event === 'worker-got');

describe("the storage peers' backlog", () => {
  it('takes or drops a bundle of several engines whole', async () => {
    const { lines, thread } = start(250);
    const node = fakeNode();
    await thread.open('r', node.transport, { kind: 'directory', directory: 'unused' });
    const h = node.handlers();
    // Never handled (the recording worker applies nothing), the first frame stays in the backlog.
    h.message('w1', 1, new Uint8Array(100));
    h.frameEnd?.();
    // A bundle: its first entry would fit (200), its second not (300 > 250): dropped whole.
    h.message('w1', 2, new Uint8Array(100));
    h.message('w1', 3, new Uint8Array(100));
    h.frameEnd?.();
    // The next frames, in the same run: each taken or dropped on its own.
    h.message('w1', 4, new Uint8Array(100));
    h.frameEnd?.();
    h.message('w1', 5, new Uint8Array(100));
    h.message('w1', 6, new Uint8Array(100));
    h.frameEnd?.();
    h.linkDown('w1');
    await until(() => lines.some((line) => line.event === 'worker-link-down'), 'the link-down');
    expect(got(lines).map((line) => line.fields?.channel)).toEqual([1, 4]);
    const dropped = lines.filter((line) => line.event === 'storage-backlog-dropped');
    expect(dropped.map((line) => line.fields?.backlogBytes)).toEqual([100, 200]);
    const resumed = lines.find((line) => line.event === 'storage-backlog-resumed');
    expect(resumed?.fields).toMatchObject({ droppedEntries: 2, droppedBytes: 200 });
  });

  it('takes a frame larger than the limit when nothing waits (what repairs the peer must get through)', async () => {
    const { lines, thread } = start(50);
    const node = fakeNode();
    await thread.open('r', node.transport, { kind: 'directory', directory: 'unused' });
    const h = node.handlers();
    h.message('w1', 1, new Uint8Array(100));
    h.frameEnd?.();
    h.message('w1', 2, new Uint8Array(10));
    h.frameEnd?.();
    h.linkDown('w1');
    await until(() => lines.some((line) => line.event === 'worker-link-down'), 'the link-down');
    expect(got(lines).map((line) => line.fields?.channel)).toEqual([1]);
  });

  it('posts what it received before a link change ahead of it', async () => {
    const { lines, thread } = start(1000);
    const node = fakeNode();
    await thread.open('r', node.transport, { kind: 'directory', directory: 'unused' });
    const h = node.handlers();
    h.message('w1', 1, new Uint8Array(10));
    h.message('w1', 2, new Uint8Array(10));
    h.linkDown('w1');
    await until(() => lines.some((line) => line.event === 'worker-link-down'), 'the link-down');
    const order = lines
      .filter((line) => line.event === 'worker-got' || line.event === 'worker-link-down')
      .map((line) => (line.event === 'worker-got' ? line.fields?.channel : 'down'));
    expect(order).toEqual([1, 2, 'down']);
  });
});
