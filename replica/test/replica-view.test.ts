/**
 * A replica's view of an engine is the engine's own view, without materializing the engine's document:
 * the texts come from what the engine reports (issue 19: the window's snapshot read every engine's whole
 * view per change, and Automerge's `toJS` and LWW's rebuilt winning text took 30–500 ms in a large text).
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

describe('Replica.view', () => {
  it('equals every engine’s own view, and reads none of them whole', async () => {
    const wholeViews: string[] = [];
    const counting = (engine: Engine): Engine =>
      new Proxy(engine, {
        get(target, property, receiver) {
          const value = Reflect.get(target, property, receiver);
          if (property === 'view')
            return () => {
              wholeViews.push(target.name);
              return target.view();
            };
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    const registry = new EngineRegistry(
      ENGINES.descriptors.map(
        (descriptor): EngineDescriptor => ({
          ...descriptor,
          create: (context) => counting(descriptor.create(context)),
        }),
      ),
    );
    const timers = new VirtualClock(1_700_000_000_000);
    const net = new SimNetwork({ timers, seed: 3 });
    const replica = await Replica.open({
      id: 'r-viewer1',
      transport: net.transport('r-viewer1'),
      store: new MemoryStore(),
      engines: registry,
      timers,
      antiEntropyMs: 0,
    });
    await replica.apply({ op: 'text.insert', pos: 0, text: 'a text of some length, '.repeat(40) });
    await replica.apply({ op: 'text.delete', pos: 5, len: 3 });
    await replica.apply({ op: 'cart.add', product: 'tea', qty: 2 });
    await replica.apply({ op: 'counter.increment', name: 'likes', by: 3 });
    await replica.apply({ op: 'note.set', value: 'hello' });
    for (const name of replica.engineNames) {
      const view = replica.view(name);
      expect(wholeViews, `${name}: the replica read the engine's whole view`).toEqual([]);
      expect(view).toEqual(replica.engine(name).view());
      wholeViews.length = 0;
    }
    await replica.close();
  });
});
