// The bench commands answer --help with their usage (exit 0) and refuse unknown flags (exit 2).
import { spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const here = dirname(fileURLToPath(import.meta.url));
const tsx = join(here, '..', '..', 'node_modules', '.bin', 'tsx');

function run(script: string, args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(tsx, [join(here, '..', 'src', script), ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      out += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      err += chunk.toString('utf8');
    });
    child.on('exit', (code) => resolve({ code, out, err }));
  });
}

describe.each([
  ['npm run bench', 'cli.ts', ['--engines', '--runs', '--out']],
  ['npm run bench:store', 'store-open-cli.ts', ['--trace', '--runs']],
])('%s', (_command, script, flags) => {
  it('prints its usage on --help and exits 0', async () => {
    const { code, out, err } = await run(script, ['--help']);
    expect(code).toBe(0);
    for (const flag of [...flags, '--help']) expect(out).toContain(flag);
    expect(err).toBe('');
  }, 30_000);

  it('refuses an unknown flag with a message and the usage, exit code 2', async () => {
    const { code, out, err } = await run(script, ['--bogus']);
    expect(code).toBe(2);
    expect(err).toContain("'--bogus'");
    expect(err).toMatch(/usage:/i);
    expect(err).not.toMatch(/^\s+at /m); // a message, not a stack
    expect(out).toBe('');
  }, 30_000);
});
