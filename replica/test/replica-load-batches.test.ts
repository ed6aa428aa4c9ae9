/**
 * Reopening a replica loads each engine's logged updates in batches where the engine takes them
 * (issue 19: Automerge's cost per call grows with the document, so replaying a long log one update per
 * call took tens of seconds for a 150 KB text).
 */
import { VirtualClock } from '@converge/protocol';
import { describe, expect, it } from 'vitest';
import type { Engine } from '../src/engine.ts';
import type { EngineDescriptor } from '../src/engine-descriptor.ts';
import { EngineRegistry } from '../src/engine-registry.ts';
import { ENGINES } from '../src/engines/index.ts';
import { Replica } from '../src/replica.ts';
import { SimNetwork } from '../src/sim-network.ts';
import { MemoryStore } from '../src/store.ts';

describe('Replica.open', () => {
  it('loads each engine’s logged updates in batches, with the same outcome', async () => {
    const calls: string[] = [];
    const counting = (engine: Engine): Engine =>
      new Proxy(engine, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (typeof value !== 'function') return value;
          if (property === 'applyUpdate' || property === 'applyUpdates')
            return (...args: unknown[]) => {
              calls.push(`${target.name}.${String(property)}`);
              return value.apply(target, args);
            };
          return value.bind(target);
        },
      });
    const registry = new EngineRegistry(
      ENGINES.only(['automerge', 'converge']).descriptors.map(
        (descriptor): EngineDescriptor => ({
          ...descriptor,
          create: (context) => counting(descriptor.create(context)),
        }),
      ),
    );
    const timers = new VirtualClock(1_700_000_000_000);
    const net = new SimNetwork({ timers, seed: 5 });
    const store = new MemoryStore();
    const open = () =>
      Replica.open({
        id: 'r-reopen1',
        transport: net.transport('r-reopen1'),
        store,
        engines: registry,
        timers,
        antiEntropyMs: 0,
      });
    const first = await open();
    await first.apply({ op: 'text.insert', pos: 0, text: 'typed, ' });
    for (let k = 0; k < 30; k++) await first.apply({ op: 'text.insert', pos: 7 + k, text: 'x' });
    const digests = first.engineNames.map((name) => first.digest(name));
    const text = first.textSlice('automerge');
    await first.close();
    calls.length = 0;
    const second = await open();
    expect(calls.filter((call) => call === 'automerge.applyUpdates')).toHaveLength(1);
    expect(calls).not.toContain('automerge.applyUpdate');
    expect(second.textSlice('automerge')).toBe(text);
    expect(second.engineNames.map((name) => second.digest(name))).toEqual(digests);
    await second.close();
  });
});
