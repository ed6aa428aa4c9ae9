/**
 * A disk in memory for the authority's and the services' stores: what they persisted survives a
 * simulated crash (reopen from it), and a store from before the crash can write no more (its process is
 * gone), so tests exercise encoding, replay and recovery without touching the file system.
 */
import type { MachineStoreOptions, Persistence } from '../../src/index.ts';

export class MemoryDisk {
  private snapshot: Uint8Array | undefined;
  private records: Uint8Array[] = [];
  private generation = 0;

  /** A store's view of the disk as it is now; writes through it stop at the next `crash()`. */
  open(): Required<Pick<MachineStoreOptions, 'restored' | 'persistence'>> {
    const generation = this.generation;
    const alive = (): void => {
      if (generation !== this.generation) throw new Error('the process that opened this store crashed');
    };
    const persistence: Persistence = {
      append: async (record) => {
        alive();
        this.records.push(record.slice());
      },
      compact: async (snapshot) => {
        alive();
        this.snapshot = snapshot.slice();
        this.records = [];
      },
      close: async () => {},
    };
    return { restored: { snapshot: this.snapshot, records: [...this.records] }, persistence };
  }

  /** Every store opened before now is dead. */
  crash(): void {
    this.generation++;
  }
}
