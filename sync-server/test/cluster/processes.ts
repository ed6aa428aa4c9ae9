// Relay processes of a cluster (the CLI with --cluster) for tests, with the room leases Redis holds.
import type { ChildProcess } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { roomKeys } from '../../src/cluster/index.ts';
import type { RedisServer } from '../redis-server.ts';
import { type RelayAccess, remoteRelay, runProcess, waitFor } from '../support.ts';

const here = dirname(fileURLToPath(import.meta.url));
const cli = join(here, '..', '..', 'src', 'cli.ts');
export const ADMIN = 'cluster-process-admin-token';
// Long enough that a loaded 2-core machine (storage peers loading four engines) renews in time.
export const LEASE_MS = 4000;

export interface Node extends RelayAccess {
  readonly id: string;
  readonly child: ChildProcess;
  readonly logs: () => Record<string, unknown>[];
}

/** Starts nodes on the file's redis-server; every one still running after a test is killed. */
export function clusterProcesses(redis: () => RedisServer) {
  const children: ChildProcess[] = [];
  afterEach(() => {
    for (const child of children.splice(0)) {
      if (child.exitCode !== null || child.signalCode !== null) continue;
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
  });

  async function startNode(id: string): Promise<Node> {
    // Node itself runs the relay (not the tsx wrapper), so SIGKILL and SIGSTOP reach the relay's process.
    const relay = runProcess(process.execPath, [
      '--import',
      'tsx',
      cli,
      '--port',
      '0',
      '--cluster',
      redis().url,
      '--node-id',
      id,
      '--lease-ms',
      String(LEASE_MS),
      '--admin-token',
      ADMIN,
    ]);
    const { child, lines: logs } = relay;
    children.push(child);
    await waitFor(
      () => logs().some((l) => l.event === 'listening') || child.exitCode !== null,
      `${id} to listen`,
      60_000,
    );
    const url = logs().find((l) => l.event === 'listening')?.url;
    if (typeof url !== 'string') throw new Error(`${id} did not start: ${relay.stderr()}`);
    return { ...remoteRelay(url, ADMIN), id, child, logs };
  }

  /** Who holds the room's lease in Redis now. */
  async function leaseHolder(room: string): Promise<{ node: string; token: number } | undefined> {
    const value = await redis().client().get(roomKeys(room).lease);
    if (value === null) return undefined;
    const [node = '', token = '0'] = value.split(' ');
    return { node, token: Number(token) };
  }

  /** Until a node other than `not` holds the room's lease (a dead or paused owner's lease passed). */
  async function waitMoved(room: string, not: string, timeoutMs = 30_000) {
    let holder: { node: string; token: number } | undefined;
    for (const deadline = Date.now() + timeoutMs; Date.now() < deadline; ) {
      holder = await leaseHolder(room);
      if (holder !== undefined && holder.node !== not) return holder;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`room ${room} never left ${not}: ${JSON.stringify(holder)}`);
  }

  return { startNode, leaseHolder, waitMoved };
}
