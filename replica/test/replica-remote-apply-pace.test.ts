/**
 * The replica paces its engines' deferred remote applies by role (issue 19): the primary engine, the one
 * the editor shows, waits as long as its last apply took; the others several times as long, so with
 * several windows on a few cores they catch up in larger batches and leave the CPU to the primary.
 */
import { VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import type { EngineContext } from '../src/engine.ts';
import type { EngineDescriptor } from '../src/engine-descriptor.ts';
import { EngineRegistry } from '../src/engine-registry.ts';
import { ENGINES } from '../src/engines/index.ts';
import { REMOTE_APPLY_PACE, Replica } from '../src/replica.ts';
import { SimNetwork } from '../src/sim-network.ts';
import { MemoryStore } from '../src/store.ts';

describe('Replica remote apply pace', () => {
  it('asks the primary engine for 1 and the others for more, following the primary setting', async () => {
    const contexts = new Map<string, EngineContext>();
    const registry = new EngineRegistry(
      ENGINES.only(['converge', 'automerge']).descriptors.map(
        (descriptor): EngineDescriptor => ({
          ...descriptor,
          create: (context) => {
            contexts.set(descriptor.name, context);
            return descriptor.create(context);
          },
        }),
      ),
    );
    const timers = new VirtualClock(1_700_000_000_000);
    const net = new SimNetwork({ timers, seed: 3 });
    const replica = await Replica.open({
      id: 'r-pace',
      transport: net.transport('r-pace'),
      store: new MemoryStore(),
      engines: registry,
      timers,
      antiEntropyMs: 0,
    });
    const pace = (name: string): number | undefined => contexts.get(name)?.remoteApplyPace?.();
    expect(REMOTE_APPLY_PACE.others).toBeGreaterThan(REMOTE_APPLY_PACE.primary);
    expect(replica.primary).toBe('converge');
    expect([pace('converge'), pace('automerge')]).toEqual([
      REMOTE_APPLY_PACE.primary,
      REMOTE_APPLY_PACE.others,
    ]);
    await replica.setPrimary('automerge');
    expect([pace('converge'), pace('automerge')]).toEqual([
      REMOTE_APPLY_PACE.others,
      REMOTE_APPLY_PACE.primary,
    ]);
    await replica.close();
  });
});
