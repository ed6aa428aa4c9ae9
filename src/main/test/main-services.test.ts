import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { IPC_CHANNELS } from '../../preload/api.ts';
import type { IpcSender } from '../ipc-schema.ts';
import { type Logger, type MainServices, startMainServices } from '../main-services.ts';
import { isSafeReplicaId } from '../replica-id.ts';
import { APP_ENTRY_URL } from '../security.ts';
import { fakeRelay } from './support/fake-relay.ts';

function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => lines.push(`info ${m}`),
    warn: (m) => lines.push(`warn ${m}`),
    error: (m) => lines.push(`error ${m}`),
  };
}

/** Deterministic "random" bytes so generated ids are reproducible. */
function counterBytes(start = 0): (n: number) => Uint8Array {
  let next = start;
  return (n) => Uint8Array.from({ length: n }, () => next++ % 252);
}

/** A remote relay for --relay: a fake one on a real port, run with the admin token its owner chose. */
async function remoteRelay(adminToken: string) {
  const remote = fakeRelay();
  const running = await remote.startRelay({
    host: '127.0.0.1',
    port: 0,
    dataDir: '',
    allowedOrigins: [],
    adminToken,
  });
  return { remote, running };
}

describe('main services', () => {
  let userData: string;
  const running: MainServices[] = [];
  beforeEach(async () => {
    userData = await mkdtemp(join(tmpdir(), 'converge-userdata-'));
  });
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.shutdown()));
    await rm(userData, { recursive: true, force: true });
  });

  async function start(argv: string[] = [], randomBytes = counterBytes()) {
    const relay = fakeRelay();
    const log = recordingLog();
    const services = await startMainServices({
      userData,
      argv,
      startRelay: relay.startRelay,
      randomBytes,
      log,
    });
    running.push(services);
    return { services, relay, log };
  }

  it('on a first run starts the embedded relay under userData and opens one new replica', async () => {
    const { services, relay, log } = await start();
    expect(relay.log.started).toEqual([
      {
        host: '127.0.0.1',
        port: 0,
        dataDir: join(userData, 'relay'),
        allowedOrigins: ['converge://app'],
        adminToken: expect.stringMatching(/^[\w-]{43}$/),
      },
    ]);
    expect(services.relay.embedded).toBe(true);
    expect(services.initialWindows).toHaveLength(1);
    const id = services.initialWindows[0]!.replicaId;
    expect(isSafeReplicaId(id)).toBe(true);
    expect(await services.windowConfig(id)).toEqual({
      replicaId: id,
      room: 'default',
      relayUrl: services.relay.relayUrl,
      adminUrl: services.relay.adminUrl,
      token: `credential-1-${id}`,
    });
    // The window's own credential, not the admin token: minted once per replica, for read, write, admin.
    expect(await services.windowConfig(id)).toMatchObject({ token: `credential-1-${id}` });
    expect(await services.windowConfig('other')).toMatchObject({ token: 'credential-2-other' });
    expect(relay.log.minted).toEqual([
      { room: 'default', replica: id, rights: ['read', 'write', 'admin'] },
      { room: 'default', replica: 'other', rights: ['read', 'write', 'admin'] },
    ]);
    expect(JSON.stringify(await services.windowConfig(id))).not.toContain(relay.log.started[0]!.adminToken);
    // A window opened for a room link is in that room, with a credential for it.
    services.windowState.opened({ replicaId: 'linked', room: 'team' });
    expect(await services.windowConfig('linked')).toMatchObject({
      room: 'team',
      token: 'credential-3-linked',
    });
    expect(relay.log.minted.at(-1)).toEqual({
      room: 'team',
      replica: 'linked',
      rights: ['read', 'write', 'admin'],
    });
    expect(services.csp).toContain(
      `connect-src 'self' ${services.relay.relayUrl} ${services.relay.adminUrl}`,
    );
    expect(log.lines).toEqual([`info embedded relay listening at ${services.relay.relayUrl}`]);
  });

  it('uses a remote relay from --relay (or settings.json), starts none, and mints with its admin credential', async () => {
    const { remote, running } = await remoteRelay('t0k');
    await writeFile(
      join(userData, 'settings.json'),
      JSON.stringify({ relayUrl: 'ws://from-file:1', room: 'team' }),
    );
    const { services, relay } = await start(['--relay', running.url, '--admin-token=t0k']);
    try {
      expect(relay.log.started).toEqual([]);
      expect(services.settings).toEqual({ relayUrl: `${running.url}/`, room: 'team', adminToken: 't0k' });
      expect(await services.windowConfig('abc')).toEqual({
        replicaId: 'abc',
        room: 'team',
        relayUrl: `${running.url}/`,
        adminUrl: running.adminUrl,
        token: 'credential-1-abc',
      });
      expect(remote.log.minted).toEqual([
        { room: 'team', replica: 'abc', rights: ['read', 'write', 'admin'] },
      ]);
    } finally {
      await running.close();
    }
  });

  it('refuses a remote relay without an admin credential, and reports a refused credential clearly', async () => {
    await expect(start(['--relay', 'ws://relay.example:1'])).rejects.toThrow(
      /remote relay needs --admin-token/,
    );
    const { running } = await remoteRelay('right');
    try {
      const { services, log } = await start(['--relay', running.url, '--admin-token=wrong']);
      // The window still opens (it works offline) and learns why it has no credential.
      expect(await services.windowConfig('abc')).toEqual({
        replicaId: 'abc',
        room: 'default',
        relayUrl: `${running.url}/`,
        adminUrl: running.adminUrl,
        credentialProblem: expect.stringMatching(
          /relay refused a credential for abc in room default \(401: missing or wrong credential\)/,
        ),
      });
      expect(log.lines.at(-1)).toMatch(/^warn no credential for replica abc yet/);
    } finally {
      await running.close();
    }
  });

  it('refuses to start with a bad flag, with a clear message', async () => {
    await expect(start(['--relay', 'http://nope'])).rejects.toThrow(/--relay: .*must use ws: or wss:/);
  });

  it('restores the windows that were open at quit, with their data', async () => {
    const first = await start();
    const a = first.services.initialWindows[0]!.replicaId;
    const b = await first.services.allocateReplicaId();
    expect(b).not.toBe(a);
    first.services.windowState.opened({ replicaId: a, bounds: { x: 5, y: 5, width: 900, height: 700 } });
    first.services.windowState.opened({ replicaId: b });
    first.services.registry.register(11, a);
    first.services.registry.register(12, b);
    const handlers = first.services.createIpcHandlers({
      newReplicaWindow: async () => {},
      openRoom: async () => {},
    });
    const sender = (id: number): IpcSender => ({
      webContentsId: id,
      frameUrl: APP_ENTRY_URL,
      isMainFrame: true,
    });
    await handlers[IPC_CHANNELS.storeOpen](sender(11), []);
    await handlers[IPC_CHANNELS.storeAppend](sender(11), [Uint8Array.of(1, 2, 3)]);
    await handlers[IPC_CHANNELS.storeAppend](sender(12), [Uint8Array.of(9)]);
    // Quit: windows close after beginQuit, so they stay listed.
    await first.services.shutdown();
    first.services.windowState.closed(a);
    expect(first.relay.log.closed).toBe(1);

    const second = await start();
    expect(second.services.initialWindows).toEqual([
      { replicaId: a, bounds: { x: 5, y: 5, width: 900, height: 700 } },
      { replicaId: b },
    ]);
    expect((await second.services.stores.open(a)).records).toEqual([Uint8Array.of(1, 2, 3)]);
    expect((await second.services.stores.open(b)).records).toEqual([Uint8Array.of(9)]);
  });

  it('lists replicas whose windows were closed, and never hands out an id already on disk', async () => {
    const { services } = await start([], counterBytes(0));
    const first = services.initialWindows[0]!.replicaId;
    await services.stores.open(first);
    await services.stores.open('zzz-old');
    services.registry.register(1, first);
    expect(await services.closedReplicas()).toEqual(['zzz-old']);
    // The same byte sequence would regenerate `first`: allocation must skip it.
    const again = await startMainServices({
      userData,
      argv: [],
      startRelay: fakeRelay().startRelay,
      randomBytes: counterBytes(0),
      log: recordingLog(),
    });
    running.push(again);
    expect(again.initialWindows.map((w) => w.replicaId)).not.toContain(first);
  });

  it('gives up with a clear error when the random source keeps repeating an id in use', async () => {
    const stuck = () => new Uint8Array(10).fill(3);
    const { services } = await start([], stuck);
    services.registry.register(1, services.initialWindows[0]!.replicaId);
    await expect(services.allocateReplicaId()).rejects.toThrow(/unused replica id/);
  });

  it('recovers from a corrupt window list with a warning and one new window, keeping the file', async () => {
    await writeFile(join(userData, 'window-state.json'), '{{{{');
    const { services, log } = await start();
    expect(services.initialWindows).toHaveLength(1);
    expect(log.lines.some((l) => /^warn window state .* is corrupt/.test(l))).toBe(true);
    const kept = log.lines.join('\n').match(/kept it as (\S+)/)?.[1];
    expect(kept).toBeDefined();
    expect(await readFile(kept!, 'utf8')).toBe('{{{{');
  });

  it('shuts down once, closing stores and the relay, even when called twice', async () => {
    const { services, relay } = await start();
    await services.stores.append('alpha', Uint8Array.of(1));
    await Promise.all([services.shutdown(), services.shutdown()]);
    expect(relay.log.closed).toBe(1);
    await expect(services.stores.append('alpha', Uint8Array.of(2))).rejects.toThrow(/closed/);
  });
});
