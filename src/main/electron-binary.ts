/**
 * Where the Electron binary is, if it is installed. The same lookup as the `electron` package's
 * index.js, except that it never downloads: requiring 'electron' from Node tries to fetch a missing
 * binary (and fails slowly without internet), which neither `npm start`'s check nor a test run may do.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** node_modules/electron, if the package is installed. */
export function electronPackageDir(): string | undefined {
  try {
    return dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return undefined;
  }
}

export function electronBinary(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const packageDir = electronPackageDir();
  if (packageDir === undefined) return undefined; // the electron package itself is not installed
  const pathFile = join(packageDir, 'path.txt');
  const relative = existsSync(pathFile) ? readFileSync(pathFile, 'utf8').trim() : undefined;
  const override = env.ELECTRON_OVERRIDE_DIST_PATH;
  const candidate =
    override !== undefined && override !== ''
      ? join(override, relative ?? 'electron')
      : relative !== undefined
        ? join(packageDir, 'dist', relative)
        : undefined;
  return candidate !== undefined && existsSync(candidate) ? candidate : undefined;
}
