// A relay cluster node (the CLI with --cluster) refuses stock y-websocket and automerge-repo clients
// with 503 and the reason, rather than serving them a copy of the room that no window is in and whose
// documents an owner change would lose.
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, expect, it } from 'vitest';
import { credentialFor, remoteRelay, runProcess, upgradeAnswer, waitFor } from '../support.ts';
import { describeWithRedis, redisServerPerFile } from '../with-redis.ts';

const cli = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'src', 'cli.ts');
const ADMIN = 'cluster-gateways-admin-token';
const redis = redisServerPerFile();
const children: ChildProcess[] = [];
afterEach(() => {
  for (const child of children.splice(0)) if (child.exitCode === null) child.kill('SIGKILL');
});

describeWithRedis('a cluster node', () => {
  it('refuses stock clients with 503 and says why', async () => {
    const node = runProcess(process.execPath, [
      ...['--import', 'tsx', cli, '--port', '0', '--cluster', redis().url],
      ...['--node-id', 'n1', '--admin-token', ADMIN],
    ]);
    children.push(node.child);
    await waitFor(
      () => node.lines().some((l) => l.event === 'listening') || node.child.exitCode !== null,
      'the node to listen',
      60_000,
    );
    const url = node.lines().find((l) => l.event === 'listening')?.url;
    if (typeof url !== 'string') throw new Error(`the node did not start: ${node.stderr()}`);
    const token = await credentialFor(remoteRelay(url, ADMIN), 'team', 'app');
    for (const path of [`/yjs/team?token=${token}`, `/automerge?token=${token}`]) {
      const { status, body } = await upgradeAnswer(`${url}${path}`);
      expect(status).toBe(503);
      expect(body).toMatch(/not served by a relay cluster.*--data-dir/);
    }
    expect(node.lines().some((l) => l.event === 'interop-refused')).toBe(true);
  }, 90_000);
});
