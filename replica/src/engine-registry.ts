/**
 * A set of engine descriptors, in display order: what a replica hosts, what the app shows, what the
 * contract suite and the convergence harness test. It checks that names and wire codes are unique, and
 * maps between the two (a data frame's channel is its engine's wire code).
 *
 * An engine's code may load on demand (`EngineDescriptor.code`): `load` / `loadAll` load it, and `create`
 * refuses an engine whose code has not loaded. Everything else here is facts, there from the start.
 */

import { checkChannel, PRESENCE_CHANNEL, RESERVED_CHANNELS } from '@converge/protocol';
import type { Engine, EngineContext } from './engine.ts';
import { EngineCodeNotLoadedError, type EngineDescriptor } from './engine-descriptor.ts';
import { type EngineName, isEngineName } from './engine-name.ts';

export class EngineRegistryError extends Error {
  override readonly name = 'EngineRegistryError';
}

export class EngineRegistry {
  readonly descriptors: readonly EngineDescriptor[];
  readonly names: readonly EngineName[];
  private readonly byName = new Map<EngineName, EngineDescriptor>();
  private readonly byCode = new Map<number, EngineDescriptor>();

  constructor(descriptors: readonly EngineDescriptor[]) {
    for (const descriptor of descriptors) {
      const { name, wireCode } = descriptor;
      if (!isEngineName(name)) throw new EngineRegistryError(`invalid engine name ${JSON.stringify(name)}`);
      const problem = checkChannel(wireCode);
      if (problem !== undefined) throw new EngineRegistryError(`engine ${name}: wire code: ${problem}`);
      if (RESERVED_CHANNELS.has(wireCode))
        throw new EngineRegistryError(`engine ${name}: wire code ${wireCode} is reserved (checkout)`);
      if (wireCode === PRESENCE_CHANNEL)
        throw new EngineRegistryError(`engine ${name}: wire code ${wireCode} is presence's channel`);
      if (this.byName.has(name)) throw new EngineRegistryError(`two engines are named ${name}`);
      const taken = this.byCode.get(wireCode);
      if (taken !== undefined) {
        throw new EngineRegistryError(`engines ${taken.name} and ${name} both claim wire code ${wireCode}`);
      }
      this.byName.set(name, descriptor);
      this.byCode.set(wireCode, descriptor);
    }
    this.descriptors = Object.freeze([...descriptors]);
    this.names = Object.freeze(descriptors.map((d) => d.name));
  }

  get size(): number {
    return this.descriptors.length;
  }

  has(name: EngineName): boolean {
    return this.byName.has(name);
  }

  /** The descriptor of a registered engine; throws for any other name. */
  get(name: EngineName): EngineDescriptor {
    const descriptor = this.byName.get(name);
    if (descriptor === undefined)
      throw new EngineRegistryError(`no engine named ${String(name)} is registered`);
    return descriptor;
  }

  find(name: EngineName): EngineDescriptor | undefined {
    return this.byName.get(name);
  }

  /** The engine a data frame's channel stands for, if it is one of these. */
  byWireCode(code: number): EngineDescriptor | undefined {
    return this.byCode.get(code);
  }

  /** Whether the engine's code has loaded (always, for an engine whose code came with its descriptor). */
  isLoaded(name: EngineName): boolean {
    return this.get(name).code?.loaded ?? true;
  }

  /** Load an engine's code (if it loads on demand): `create` works once this resolves. */
  async load(name: EngineName): Promise<void> {
    await this.get(name).code?.load();
  }

  /** Load every engine's code, for callers that build engines synchronously (tests, benches). */
  async loadAll(): Promise<this> {
    await Promise.all(this.descriptors.map((d) => d.code?.load()));
    return this;
  }

  /** A new engine of a registered kind; throws `EngineCodeNotLoadedError` until its code has loaded. */
  create(name: EngineName, context: EngineContext): Engine {
    const descriptor = this.get(name);
    if (descriptor.code?.loaded === false) throw new EngineCodeNotLoadedError(name);
    return descriptor.create(context);
  }

  /** These engines and `more` (appended in display order). */
  with(...more: readonly EngineDescriptor[]): EngineRegistry {
    return new EngineRegistry([...this.descriptors, ...more]);
  }

  /** The named engines only, in this registry's order; throws for a name it does not hold. */
  only(names: readonly EngineName[]): EngineRegistry {
    for (const name of names) this.get(name);
    return new EngineRegistry(this.descriptors.filter((d) => names.includes(d.name)));
  }
}
