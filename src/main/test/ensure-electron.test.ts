// `npm start` without the Electron binary: one clear paragraph, never the installer's stack.
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { electronBinary } from '../electron-binary.ts';
import {
  compareVersions,
  type ElectronProbe,
  ensureElectron,
  failureCause,
  minimumNode,
} from '../ensure-electron.ts';

const INSTALLER_STACK = `Downloading Electron binary...
TypeError: fetch failed
    at node:internal/deps/undici/undici:13510:13
    at async downloadArtifact (node_modules/@electron/get/dist/index.js:1:1) {
  [cause]: Error: connect ECONNREFUSED 127.0.0.1:9
}`;

function probe(over: Partial<ElectronProbe> = {}): ElectronProbe & { installs: number } {
  const result = {
    installs: 0,
    nodeVersion: '22.12.0',
    electron: { version: '45.4.1', nodeRange: '>= 22.12.0' },
    binaryInstalled: false,
    install: async () => {
      result.installs++;
      return { code: 1, output: INSTALLER_STACK };
    },
    ...over,
  };
  return result;
}

/** One paragraph: a single line of text, no stack frames, no advice to delete node_modules. */
function expectOneParagraph(message: string): void {
  expect(message.trim().split('\n')).toHaveLength(1);
  expect(message).not.toMatch(/^\s+at /m);
  expect(message).not.toMatch(/TypeError|node_modules\/electron/);
  expect(message).toContain('npm run web');
}

describe('npm start without the Electron binary', () => {
  it('goes ahead when the binary is installed, without running the installer', async () => {
    const p = probe({ binaryInstalled: true, nodeVersion: '20.20.2' });
    expect(await ensureElectron(p)).toEqual({ ok: true });
    expect(p.installs).toBe(0);
  });

  it('on a Node older than the installer needs, says so without trying', async () => {
    const p = probe({ nodeVersion: '20.20.2' });
    const result = await ensureElectron(p);
    expect(p.installs).toBe(0);
    if (result.ok) throw new Error('expected a refusal');
    expectOneParagraph(result.message);
    expect(result.message).toContain('Node 22.12.0 or newer; this is Node 20.20.2');
  });

  it('when the download fails, names the cause in a few words', async () => {
    const p = probe();
    const result = await ensureElectron(p);
    expect(p.installs).toBe(1);
    if (result.ok) throw new Error('expected a refusal');
    expectOneParagraph(result.message);
    expect(result.message).toContain('could not be downloaded (fetch failed)');
    expect(await ensureElectron(probe({ install: async () => ({ code: 0, output: '' }) }))).toEqual({
      ok: true,
    });
  });

  it('without the electron package at all', async () => {
    const result = await ensureElectron(probe({ electron: undefined }));
    if (result.ok) throw new Error('expected a refusal');
    expectOneParagraph(result.message);
  });

  it('reads versions, ranges and causes', () => {
    expect(minimumNode('>= 22.12.0')).toBe('22.12.0');
    expect(minimumNode('^20 || >=22')).toBeUndefined();
    expect(compareVersions('20.20.2', '22.12.0')).toBeLessThan(0);
    expect(compareVersions('v22.12.0', '22.12.0')).toBe(0);
    expect(compareVersions('23.0.0', '22.12.0')).toBeGreaterThan(0);
    expect(failureCause({ code: 1, output: INSTALLER_STACK })).toBe('fetch failed');
    expect(failureCause({ code: 3, output: 'gibberish' })).toBe('its installer exited with code 3');
  });

  it.skipIf(electronBinary() !== undefined)(
    'the prestart script itself prints one paragraph and exits 1 (no download possible)',
    async () => {
      // A mirror that refuses connections: whatever the machine's network, the download fails at once.
      const closed = createServer();
      await new Promise<void>((done) => closed.listen(0, '127.0.0.1', done));
      const port = (closed.address() as { port: number }).port;
      await new Promise<void>((done) => closed.close(() => done()));
      const cache = await mkdtemp(join(tmpdir(), 'electron-cache-'));
      try {
        const repo = resolve(import.meta.dirname, '../../..');
        const child = spawn(join(repo, 'node_modules/.bin/tsx'), ['src/main/ensure-electron.ts'], {
          cwd: repo,
          env: { ...process.env, ELECTRON_MIRROR: `http://127.0.0.1:${port}/`, electron_config_cache: cache },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString('utf8');
        });
        child.stderr.on('data', (c: Buffer) => {
          out += c.toString('utf8');
        });
        const code = await new Promise<number | null>((done) => child.on('close', done));
        expect(code).toBe(1);
        expectOneParagraph(out);
      } finally {
        await rm(cache, { recursive: true, force: true });
      }
    },
    60_000,
  );
});
