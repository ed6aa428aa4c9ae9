// The example apps, run as a user runs them (tsx, their command line) against a real relay with the
// gateways: their edits reach every engine of a Converge window in the room, and what the window wrote
// is what they print.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ENGINES, MemoryStore, RelayTransport, Replica, type WorkspaceView } from '@converge/replica';
import { createRelay, type Relay } from '@converge/sync-server';
import { interopGateways } from '@converge/sync-server/interop';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const run = promisify(execFile);
const examples = fileURLToPath(new URL('..', import.meta.url));
let relay: Relay;
let window: Replica;

beforeAll(async () => {
  relay = await createRelay({ gateways: interopGateways(), logLevel: 'silent' });
  window = await Replica.open({
    id: 'alice',
    transport: new RelayTransport({
      url: relay.url,
      room: 'team',
      nodeId: 'alice',
      token: async () =>
        (await relay.mintCredential({ room: 'team', replica: 'alice', rights: ['read', 'write'] })).token,
      WebSocket,
    }),
    store: new MemoryStore(),
    engines: ENGINES,
  });
  await window.apply({ op: 'text.insert', pos: 0, text: 'from the window' });
  // An app's first sync carries what the room's members hold when its bridge joins.
  while (window.connection() !== 'online') await new Promise((resolve) => setTimeout(resolve, 10));
});
afterAll(async () => {
  await window.close();
  await relay.close();
});

async function runExample(script: string, replica: string, ...args: string[]): Promise<string> {
  const { token } = await relay.mintCredential({ room: 'team', replica, rights: ['read', 'write'] });
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', script, '--relay', relay.url, '--room', 'team', ...args],
    {
      cwd: examples,
      env: { ...process.env, CONVERGE_TOKEN: token },
      timeout: 30_000,
    },
  );
  return stdout;
}

async function everyEngineShows(check: (view: WorkspaceView) => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!ENGINES.names.every((name) => check(window.view(name)))) {
    if (Date.now() > deadline) {
      const lagging = ENGINES.names.filter((name) => !check(window.view(name)));
      throw new Error(
        `${lagging.join(', ')} of the window show ${JSON.stringify(window.view(lagging[0] ?? 'converge'))}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

describe('the example apps', () => {
  it('yjs-app.ts prints the room and its edit reaches every engine', async () => {
    const printed = await runExample('yjs-app.ts', 'yjs-example', '--append', ' + yjs', '--add', 'apple');
    expect(JSON.parse(printed).text).toBe('from the window');
    await everyEngineShows((v) => v.text === 'from the window + yjs' && v.cart.apple === 1);
  });

  it('automerge-app.ts prints the room and its edit reaches every engine', async () => {
    const printed = await runExample('automerge-app.ts', 'am-example', '--append', ' + am', '--add', 'pear');
    expect(JSON.parse(printed).text).toMatch(/^from the window/);
    await everyEngineShows((v) => v.text.endsWith(' + am') && v.cart.pear === 1);
  });

  it('refuses to run without a credential', async () => {
    const failed = await run(process.execPath, ['--import', 'tsx', 'yjs-app.ts'], {
      cwd: examples,
      env: { ...process.env, CONVERGE_TOKEN: '' },
    }).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2, stderr: expect.stringContaining('--token') });
  });
});
