/**
 * The engine boundary holds: an engine nobody in src/ knows of (the toy engine of @converge/replica/testing),
 * registered through a registry alone, passes the engine contract suite and the convergence harness, and
 * shares a replica with the real engines on a wire code of its own. Loro, the fifth engine, came in the same
 * way (its folder and the registry); registered alone it passes the same (the suite over the whole registry
 * runs it too: engine-contract.test.ts, convergence.test.ts).
 */
import { budget, testSeed } from '@converge/crdt-core/testing';
import { CHECKOUT_CHANNEL } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import { EngineRegistry } from '../../src/engine-registry.ts';
import { ENGINES } from '../../src/engines/index.ts';
import { loroEngine } from '../../src/engines/loro/index.ts';
import { runConvergence } from '../../testing/convergence-harness.ts';
import { engineContract } from '../../testing/engine-contract.ts';
import { toyDescriptor } from '../../testing/toy-engine.ts';

const TOY = toyDescriptor('toy', { wireCode: 200 });

engineContract(new EngineRegistry([TOY]));
engineContract(new EngineRegistry([loroEngine]));

describe('a toy engine registered through the registry alone', () => {
  it(
    'converges under the harness, alone and beside every real engine',
    async () => {
      const base = testSeed();
      const alone = new EngineRegistry([TOY]);
      for (let run = 0; run < budget(6, 200); run++) {
        const report = await runConvergence({ seed: (base + run) >>> 0, engines: alone, steps: 60 });
        expect(report.edits).toBeGreaterThan(0);
      }
      const all = ENGINES.with(TOY);
      const report = await runConvergence({ seed: base, engines: all, steps: 60 });
      expect(report.edits).toBeGreaterThan(0);
    },
    budget(120_000, 3_600_000),
  );

  it(
    'Loro, registered alone the same way, converges under the harness too',
    async () => {
      const alone = new EngineRegistry([loroEngine]);
      const base = testSeed();
      for (let run = 0; run < budget(3, 100); run++) {
        const report = await runConvergence({ seed: (base + run) >>> 0, engines: alone, steps: 60 });
        expect(report.edits).toBeGreaterThan(0);
      }
    },
    budget(120_000, 3_600_000),
  );

  it('is refused a wire code or a name another engine holds', () => {
    expect(() => ENGINES.with(toyDescriptor('toy', { wireCode: ENGINES.get('yjs').wireCode }))).toThrow(
      /both claim wire code/,
    );
    expect(() => ENGINES.with(toyDescriptor('yjs', { wireCode: 201 }))).toThrow(/two engines are named yjs/);
    expect(() => ENGINES.with(toyDescriptor('toy', { wireCode: CHECKOUT_CHANNEL }))).toThrow(/reserved/);
  });
});
