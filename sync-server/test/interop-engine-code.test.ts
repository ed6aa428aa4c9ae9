/**
 * The interop plugin loads every engine's code when the relay starts it. Engines' code loads on demand
 * (replica/README.md); a bridge replica that loaded it when a stock client first connected took seconds
 * to open, and automerge-repo, finding no peer meanwhile, gave the document up as unavailable (e2e
 * interop.spec.ts). The setup file loaded the code into the registry of the static imports, so this test
 * imports fresh modules.
 */
import { describe, expect, it, vi } from 'vitest';
import type { GatewayHost } from '../src/gateways.ts';
import { silentLogger } from '../src/log.ts';

describe('the interop plugin', () => {
  it("loads every engine's code when it starts, before any stock client connects", async () => {
    vi.resetModules();
    const [{ ENGINES }, { interopGateways }] = await Promise.all([
      import('@converge/replica'),
      import('../src/interop/index.ts'),
    ]);
    expect(ENGINES.names.filter((name) => !ENGINES.isLoaded(name))).not.toEqual([]);
    const host: GatewayHost = {
      openLocalNode: () => {
        throw new Error('no bridge opens in this test');
      },
      log: silentLogger,
      violation: () => {},
    };
    const gateways = await interopGateways().start(host);
    expect(ENGINES.names.filter((name) => !ENGINES.isLoaded(name))).toEqual([]);
    await Promise.all(gateways.map((gateway) => gateway.close()));
  });
});
