import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { type ExploreIo, exploreMain, parseExploreArgs } from '../../src/explore/explore-cli.ts';
import { TOY_NAMES, toyEngines } from '../support/toy-engines.ts';

const dir = join(import.meta.dirname, '../..');
const tmp = mkdtempSync(join(tmpdir(), 'explore-cli-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const exec = promisify(execFile);
const cli = (args: string[]) =>
  exec(process.execPath, ['--import', 'tsx', join(dir, 'src/cli.ts'), ...args], { cwd: dir }).then(
    (r) => ({ code: 0, ...r }),
    (e: { code: number; stdout: string; stderr: string }) => e,
  );

function fakeIo(): ExploreIo & { stdout: string; stderr: string } {
  const io = {
    stdout: '',
    stderr: '',
    out: (text: string) => {
      io.stdout += text;
    },
    err: (text: string) => {
      io.stderr += text;
    },
    tty: false,
    cwd: tmp,
  };
  return io;
}

describe('npm run scenario -- --explore', () => {
  it('explores, writes one minimal scenario per kind that replays with npm run scenario, and prints JSON', async () => {
    const out = join(tmp, 'found');
    const { code, stdout, stderr } = await cli([
      '--explore',
      '--seed',
      '7',
      '--runs',
      '3',
      '--json',
      '--out',
      out,
    ]);
    expect(code).toBe(0);
    expect(stderr).toMatch(/runs 3\/3 · \d+ kinds · 0 bugs/);
    const result = JSON.parse(stdout);
    expect(result).toMatchObject({ seed: 7, runs: 3, maxReplicas: 3, bugs: [] });
    expect(result.kinds.length).toBeGreaterThan(0);
    expect(readdirSync(out).sort()).toEqual(
      result.kinds.map((k: { kind: string }) => `${k.kind}.json`).sort(),
    );
    for (const kind of result.kinds) expect(kind.verified).toBe(true);

    const file = join(out, `${result.kinds[0].kind}.json`);
    const replay = await cli([file]);
    expect(replay.code).toBe(0);
    expect(replay.stdout.split('\n')[0]).toBe(JSON.parse(readFileSync(file, 'utf8')).description);
    expect(replay.stdout).toContain(`Scenario: Explorer: ${result.kinds[0].kind}`);
  });

  it('prints its usage with the kinds it knows on --explore --help', async () => {
    const { code, stdout } = await cli(['--explore', '--help']);
    expect(code).toBe(0);
    expect(stdout).toMatch(/^usage: npm run -s scenario -- --explore/);
    expect(stdout).toContain('note-siblings');
    expect(stdout).toContain('lww-clock-skew');
  });

  it('refuses bad arguments with exit 2', async () => {
    for (const argv of [
      ['--explore', '--replicas', '9'],
      ['--explore', '--runs', '0'],
      ['--explore', '--engines', 'converge,nope'],
      ['--explore', 'file.json'],
      ['--explore', '--seed', '-1'],
    ]) {
      const io = fakeIo();
      expect(await exploreMain(argv, io), argv.join(' ')).toBe(2);
      expect(io.stderr).toContain('usage:');
    }
    expect(parseExploreArgs(['--explore', '--engines', 'lww', '--engines', 'yjs,converge'])).toMatchObject({
      engines: ['converge', 'yjs', 'lww'],
    });
  });

  it('exits 1 when it finds a bug, which the summary lists first', async () => {
    const io = fakeIo();
    const argv = [
      '--explore',
      '--seed',
      '1',
      '--runs',
      '2',
      '--engines',
      TOY_NAMES.join(','),
      '--out',
      'bugs',
    ];
    expect(await exploreMain(argv, io, toyEngines(true))).toBe(1);
    expect(io.stdout).toMatch(/^Explored seed 1: 2 runs/);
    expect(io.stdout).toMatch(/BUGS \(1\)[\s\S]*bug-not-converged/);
    expect(io.stderr).toContain('BUG bug-not-converged in run 0');
    expect(readdirSync(join(tmp, 'bugs'))).toEqual(['bug-not-converged.json']);
  });
});
