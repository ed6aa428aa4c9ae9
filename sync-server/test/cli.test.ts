// The standalone relay process: starts, serves, and shuts down gracefully on SIGTERM / SIGINT.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import {
  closeRelaysAfterEach,
  RawClient,
  type Running,
  remoteRelay,
  runProcess,
  waitFor,
} from './support.ts';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', 'src', 'cli.ts');
const relayBench = join(here, '..', 'bench', 'relay-bench.ts');

// One process, tsx as a loader: the tsx CLI is a parent that relays a signal to its child and exits
// 143 when the child has not confirmed it within 30 ms, which a loaded machine misses (the graceful
// shutdown under test then looks like a kill).
function run(args: string[], script = cli): Running {
  return runProcess(process.execPath, ['--import', 'tsx', script, ...args]);
}

const dirs: string[] = [];
const children: ChildProcess[] = [];
closeRelaysAfterEach();
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe('relay CLI', () => {
  it('serves until SIGTERM, then closes every connection with 1001 and exits 0', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'relay-cli-'));
    dirs.push(dir);
    const dataDir = join(dir, 'data');
    const relay = run([
      '--port',
      '0',
      '--data-dir',
      dataDir,
      '--log-level',
      'info',
      '--admin-token',
      'cli-test-admin',
    ]);
    children.push(relay.child);
    await waitFor(() => relay.lines().some((l) => l.event === 'listening'), 'listening', 15_000);
    const listening = relay.lines().find((l) => l.event === 'listening');
    expect(listening).toMatchObject({ level: 'info', adminTokenGenerated: false, dataDir });
    expect(existsSync(dataDir)).toBe(true);
    const client = await RawClient.join(remoteRelay(String(listening?.url), 'cli-test-admin'), 'room', 'a');
    expect(client.of('welcome')).toHaveLength(1);
    relay.child.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
    expect((await client.waitClosed()).code).toBe(1001);
    expect(client.of('error').map((e) => e.code)).toEqual(['shutting-down']);
    expect(relay.lines().map((l) => l.event)).toEqual(
      expect.arrayContaining(['listening', 'join', 'signal', 'shutting-down', 'leave', 'closed']),
    );
    for (const line of relay.lines()) expect(typeof line.time).toBe('string');
  }, 30_000);

  it('prints its usage on --help and exits 0', async () => {
    const help = run(['--help']);
    children.push(help.child);
    expect(await help.exited).toBe(0);
    for (const flag of [
      '--port',
      '--host',
      '--data-dir',
      '--admin-token',
      '--allowed-host',
      '--allow-origin',
    ]) {
      expect(help.stdout()).toContain(flag);
    }
    expect(help.stderr()).toBe('');
  }, 30_000);

  it('refuses an unknown flag or a stray argument with a message, the usage and exit code 2', async () => {
    for (const args of [['--prot', '4455'], ['data']]) {
      const bad = run(args);
      children.push(bad.child);
      expect(await bad.exited, args.join(' ')).toBe(2);
      expect(bad.stderr()).toContain(args[0]);
      expect(bad.stderr()).toContain('usage: relay');
      expect(bad.stdout()).toBe('');
    }
  }, 30_000);

  it('refuses bad arguments', async () => {
    const bad = run(['--port', 'nine']);
    children.push(bad.child);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toMatch(/--port must be/);
    const host = run(['--port', '0', '--allowed-host', 'not a host']);
    children.push(host.child);
    expect(await host.exited).toBe(2);
    expect(host.stderr()).toMatch(/not a host name/);
  }, 30_000);

  it('generates an admin token when given none and prints it on stderr only', async () => {
    const relay = run(['--port', '0', '--log-level', 'info']);
    children.push(relay.child);
    await waitFor(
      () =>
        /admin token \(generated/.test(relay.stderr()) && relay.lines().some((l) => l.event === 'listening'),
      'the token on stderr',
      15_000,
    );
    const token = /: (\S+)\n/.exec(relay.stderr())?.[1] ?? '';
    expect(token).toMatch(/^[\w-]{43}$/);
    const listening = relay.lines().find((l) => l.event === 'listening');
    expect(listening).toMatchObject({ adminTokenGenerated: true });
    expect(JSON.stringify(relay.lines())).not.toContain(token);
    const client = await RawClient.join(remoteRelay(String(listening?.url), token), 'room', 'a');
    expect(client.of('welcome')).toHaveLength(1);
    relay.child.kill('SIGTERM');
    expect(await relay.exited).toBe(0);
  }, 30_000);
});

describe('relay benchmark CLI', () => {
  it('prints its usage on --help (exit 0) and refuses an unknown flag (exit 2) before starting anything', async () => {
    const help = run(['--help'], relayBench);
    children.push(help.child);
    expect(await help.exited).toBe(0);
    for (const flag of ['--clients', '--frames', '--repeat', '--only']) expect(help.stdout()).toContain(flag);
    const bad = run(['--client', '8'], relayBench);
    children.push(bad.child);
    expect(await bad.exited).toBe(2);
    expect(bad.stderr()).toContain("'--client'");
    expect(bad.stderr()).toContain('usage: npm run bench:relay');
    const value = run(['--only', 'both'], relayBench);
    children.push(value.child);
    expect(await value.exited).toBe(2);
    expect(value.stderr()).toContain('--only must be burst or paced');
  }, 30_000);
});
