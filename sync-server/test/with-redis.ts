// Test files that need redis-server declare their suites with `describeWithRedis`.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { NO_REDIS_MESSAGE, REDIS_SERVER, type RedisServer, startRedis } from './redis-server.ts';

/**
 * `describe` for tests that need redis-server: skipped with NO_REDIS_MESSAGE when the binary is missing,
 * except where CONVERGE_REQUIRE_REDIS is set (.ci/run sets it, having installed redis-server): a CI
 * machine without it fails instead of skipping the cluster's proofs.
 */
export function describeWithRedis(name: string, body: () => void): void {
  describe.skipIf(REDIS_SERVER === undefined)(name, body);
  if (REDIS_SERVER !== undefined) return;
  describe(name, () => {
    if (process.env.CONVERGE_REQUIRE_REDIS) {
      it('needs redis-server (CONVERGE_REQUIRE_REDIS is set)', () => expect(REDIS_SERVER).toBeDefined());
    } else {
      it.skip(NO_REDIS_MESSAGE, () => {});
    }
  });
}

/** A redis-server for this test file (started before its tests, stopped after); the getter throws without one. */
export function redisServerPerFile(): () => RedisServer {
  let server: RedisServer | undefined;
  beforeAll(async () => {
    if (REDIS_SERVER !== undefined) server = await startRedis();
  });
  afterAll(async () => server?.stop());
  return () => {
    if (server === undefined) throw new Error(NO_REDIS_MESSAGE);
    return server;
  };
}
