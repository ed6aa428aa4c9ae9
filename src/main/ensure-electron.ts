/**
 * `npm start` runs this first (prestart). Electron ≥ 45 downloads its binary on first launch rather than
 * at install, so `npm ci` works offline; its installer needs a newer Node than the rest of the project
 * (Electron 45's `engines`: Node ≥ 22.12). When the binary is missing this says so in one paragraph —
 * why, and what to do instead (`npm run web`) — rather than letting the installer print a stack trace
 * and advice to delete node_modules/electron. The installer runs with its output captured.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { electronBinary, electronPackageDir } from './electron-binary.ts';

export interface ElectronPackage {
  readonly version: string;
  /** Its `engines.node` range, e.g. ">= 22.12.0" (what its installer needs). */
  readonly nodeRange: string | undefined;
}

export interface ElectronProbe {
  /** This Node's version, e.g. "20.20.2". */
  readonly nodeVersion: string;
  /** The installed `electron` package, if any. */
  readonly electron: ElectronPackage | undefined;
  readonly binaryInstalled: boolean;
  /** Run Electron's installer (the download); resolves with its exit code and everything it printed. */
  install(): Promise<{ readonly code: number | null; readonly output: string }>;
}

export type ElectronReadiness = { readonly ok: true } | { readonly ok: false; readonly message: string };

const INSTEAD = 'Meanwhile Converge runs in a browser, with the same features: npm run web';

export async function ensureElectron(probe: ElectronProbe): Promise<ElectronReadiness> {
  const { electron } = probe;
  if (electron === undefined) {
    return {
      ok: false,
      message: `The desktop app needs the electron package, which is not installed (npm ci installs it with the development dependencies). ${INSTEAD}.`,
    };
  }
  if (probe.binaryInstalled) return { ok: true };
  const needed = minimumNode(electron.nodeRange);
  if (needed !== undefined && compareVersions(probe.nodeVersion, needed) < 0) {
    return {
      ok: false,
      message: `The desktop app needs the Electron ${electron.version} binary, which is not installed yet, and Electron's installer needs Node ${needed} or newer; this is Node ${probe.nodeVersion}. Run npm start with Node ≥ ${needed} (it downloads the binary on first launch). ${INSTEAD}.`,
    };
  }
  const installed = await probe.install();
  if (installed.code === 0) return { ok: true };
  return {
    ok: false,
    message: `The desktop app needs the Electron ${electron.version} binary, which is not installed and could not be downloaded (${failureCause(installed)}). npm start downloads it on first launch, which needs access to the internet. ${INSTEAD}.`,
  };
}

/** The lowest version a simple ">= X.Y.Z" range admits; undefined for any other form (no pre-check then). */
export function minimumNode(range: string | undefined): string | undefined {
  const match = /^\s*>=\s*v?(\d+\.\d+\.\d+)\s*$/.exec(range ?? '');
  return match?.[1];
}

/** Compare dotted numeric versions ("20.20.2" < "22.12.0"). */
export function compareVersions(a: string, b: string): number {
  const pa = a.replace(/^v/, '').split('.').map(Number);
  const pb = b.replace(/^v/, '').split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** The installer's error in a few words ("fetch failed"), not its stack. */
export function failureCause(installed: { readonly code: number | null; readonly output: string }): string {
  for (const line of installed.output.split('\n')) {
    const error = /^(?:\w*Error|Error)(?: \[\w+\])?: (.+)$/.exec(line.trim());
    if (error?.[1] !== undefined) return error[1].slice(0, 200);
  }
  return `its installer exited with code ${installed.code}`;
}

/** The real probe: this Node, node_modules/electron, and its install.js run with captured output. */
export function nodeProbe(): ElectronProbe {
  const dir = electronPackageDir();
  const manifest =
    dir !== undefined && existsSync(join(dir, 'package.json'))
      ? (JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
          version: string;
          engines?: { node?: string };
        })
      : undefined;
  return {
    nodeVersion: process.versions.node,
    electron: manifest && { version: manifest.version, nodeRange: manifest.engines?.node },
    binaryInstalled: electronBinary() !== undefined,
    install: () =>
      new Promise((done) => {
        if (dir === undefined) {
          done({ code: null, output: 'Error: the electron package is missing' });
          return;
        }
        let output = '';
        const child = spawn(process.execPath, [join(dir, 'install.js')], {
          cwd: dirname(dir),
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        child.stdout.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
        });
        child.stderr.on('data', (chunk: Buffer) => {
          output += chunk.toString('utf8');
        });
        child.on('error', (error) => done({ code: null, output: `Error: ${error.message}` }));
        child.on('close', (code) => done({ code, output }));
      }),
  };
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const readiness = await ensureElectron(nodeProbe());
  if (!readiness.ok) {
    process.stderr.write(`${readiness.message}\n`);
    process.exit(1);
  }
}
