import type { EngineDescriptor } from '../src/engine-descriptor.ts';
import type { EngineName } from '../src/engine-name.ts';
import { EngineRegistry } from '../src/engine-registry.ts';

/**
 * Deferred applies held by the test: engines built from `registry` put what they defer
 * (EngineContext.defer: Automerge's batched remote applies) here, and it runs only on `run`, so a test
 * can act while a peer's change has arrived but is not taken in yet.
 */
export class HeldDefers {
  private readonly held: (() => void)[] = [];

  /** How many deferred callbacks wait. */
  get count(): number {
    return this.held.length;
  }

  /** `base` with `names`' engines deferring into this. */
  registry(base: EngineRegistry, names: readonly EngineName[]): EngineRegistry {
    return new EngineRegistry(
      base.descriptors.map(
        (descriptor): EngineDescriptor =>
          !names.includes(descriptor.name)
            ? descriptor
            : {
                ...descriptor,
                create: (context) =>
                  descriptor.create({
                    ...context,
                    defer: (callback) => {
                      this.held.push(callback);
                      return () => {
                        const at = this.held.indexOf(callback);
                        if (at >= 0) this.held.splice(at, 1);
                      };
                    },
                  }),
              },
      ),
    );
  }

  /** Run what waits (and nothing deferred meanwhile). */
  run(): void {
    for (const callback of this.held.splice(0)) callback();
  }
}
