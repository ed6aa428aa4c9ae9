/**
 * A checkout store on disk: the replica runtime's crash-safe `DurableLog` (checksummed records fsynced
 * before they count, snapshots written by write-fsync-rename with the previous one kept), holding the
 * commands a store accepted. Damage is reported and salvaged by the log, never silently dropped.
 */
import { DurableLog, type LogDamage } from '@converge/replica/node';
import type { MachineStoreOptions, Persistence } from '../machine-store.ts';

export interface OpenedPersistence extends Required<Pick<MachineStoreOptions, 'restored' | 'persistence'>> {
  readonly damage: readonly LogDamage[];
}

/** Open (creating if needed) the log in `dir`: what it holds, and where new commands go. */
export async function openDurablePersistence(
  dir: string,
  onDamage?: (damage: LogDamage) => void,
): Promise<OpenedPersistence> {
  const { log, loaded } = await DurableLog.open(dir, onDamage === undefined ? {} : { onDamage });
  const persistence: Persistence = {
    append: (record) => log.append(record),
    compact: (snapshot) => log.compact(snapshot),
    close: () => log.close(),
  };
  return {
    restored: { snapshot: loaded.snapshot, records: loaded.records },
    persistence,
    damage: loaded.damage,
  };
}
