/**
 * The engines a window's page shows, as facts the replica worker sent (the engines' code stays in the
 * worker): in display order, looked up by name. The UI asks these facts, never an engine.
 */
import type { EngineFacts, EngineName } from '@converge/replica/descriptors';

export class EngineCatalog {
  readonly descriptors: readonly EngineFacts[];
  readonly names: readonly EngineName[];
  private readonly byName: ReadonlyMap<string, EngineFacts>;

  constructor(facts: readonly EngineFacts[]) {
    this.descriptors = Object.freeze([...facts]);
    this.names = Object.freeze(facts.map((f) => f.name));
    this.byName = new Map(facts.map((f) => [f.name, f]));
  }

  has(name: string): name is EngineName {
    return this.byName.has(name);
  }

  find(name: EngineName): EngineFacts | undefined {
    return this.byName.get(name);
  }

  /** The facts of a hosted engine; throws for any other name. */
  get(name: EngineName): EngineFacts {
    const facts = this.byName.get(name);
    if (facts === undefined) throw new Error(`no engine named ${String(name)} is hosted`);
    return facts;
  }
}
