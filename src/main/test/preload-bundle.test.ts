/**
 * Builds the preload with the real electron-vite config and runs the bundle the way a sandboxed
 * preload runs: as a CommonJS script whose `require` knows nothing but 'electron'.
 */
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { build } from 'electron-vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import electronViteConfig from '../../../electron.vite.config.ts';
import { CONVERGE_API_KEY, IPC_CHANNELS } from '../../preload/api.ts';

describe('preload bundle', () => {
  let dir: string;
  let code: string;
  let files: string[];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-preload-'));
    const preload = (electronViteConfig as { preload?: { build?: object } }).preload;
    expect(preload).toBeDefined();
    // Only the preload section, sent to its own output folder; everything else as configured.
    const section = {
      ...preload,
      build: { ...preload!.build, outDir: join(dir, 'preload'), emptyOutDir: true },
    };
    const configFile = join(dir, 'electron.vite.config.mjs');
    await writeFile(configFile, `export default ${JSON.stringify({ preload: section })};\n`);
    await build({ configFile, logLevel: 'silent' });
    files = await readdir(join(dir, 'preload'));
    code = await readFile(join(dir, 'preload', 'index.cjs'), 'utf8');
  }, 60_000);
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is one CommonJS file that the main process can point webPreferences.preload at', () => {
    expect(files).toEqual(['index.cjs']);
    expect(code).not.toMatch(/^\s*import\s/m);
    expect(code).not.toMatch(/\bexport\s/);
  });

  it("requires nothing but 'electron' and exposes the API when run sandboxed", () => {
    const required: string[] = [];
    const exposed = new Map<string, unknown>();
    const invoked: unknown[][] = [];
    const electron = {
      contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
      ipcRenderer: { invoke: (...args: unknown[]) => invoked.push(args) },
    };
    const sandboxRequire = (name: string): unknown => {
      required.push(name);
      if (name !== 'electron') throw new Error(`sandboxed preload cannot require ${name}`);
      return electron;
    };
    const module = { exports: {} };
    runInNewContext(code, { require: sandboxRequire, module, exports: module.exports });
    expect(required).toEqual(['electron']);
    expect([...exposed.keys()]).toEqual([CONVERGE_API_KEY]);
    const api = exposed.get(CONVERGE_API_KEY) as { store: { open(): unknown } };
    api.store.open();
    expect(invoked).toEqual([[IPC_CHANNELS.storeOpen]]);
  });
});
