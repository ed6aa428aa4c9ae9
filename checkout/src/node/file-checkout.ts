/**
 * A room's checkout state on disk, under one directory: the authority store (`authority/`) and the
 * ledgers of the simulated payment and shipment services (`payment/`, `shipment/`), each a durable log.
 * The services' ledgers live beside the store so they outlive a relay crash, as a real provider's would.
 */
import { join } from 'node:path';
import type { LogDamage } from '@converge/replica/node';
import { LocalAuthorityStore } from '../authority-store.ts';
import type { Clock } from '../clock.ts';
import { SimulatedService } from '../services.ts';
import { openDurablePersistence } from './durable-persistence.ts';

export interface FileCheckout {
  readonly store: LocalAuthorityStore;
  readonly payment: SimulatedService;
  readonly shipment: SimulatedService;
  /** What could not be read back (log damage, records that no longer decode). */
  readonly damage: readonly string[];
  close(): Promise<void>;
}

export async function openFileCheckout(
  dir: string,
  clock: Clock,
  onDamage?: (damage: LogDamage) => void,
): Promise<FileCheckout> {
  const authority = await openDurablePersistence(join(dir, 'authority'), onDamage);
  const payment = await openDurablePersistence(join(dir, 'payment'), onDamage);
  const shipment = await openDurablePersistence(join(dir, 'shipment'), onDamage);
  const opened = {
    store: new LocalAuthorityStore(authority),
    payment: new SimulatedService('payment', clock, payment),
    shipment: new SimulatedService('shipment', clock, shipment),
  };
  const damage = [
    ...[authority, payment, shipment].flatMap((p) =>
      p.damage.map((d) => `${d.file} at ${d.offset}: ${d.reason}`),
    ),
    ...opened.store.damage,
    ...opened.payment.damage,
    ...opened.shipment.damage,
  ];
  return {
    ...opened,
    damage,
    close: async () => {
      await opened.store.close();
      await opened.payment.close();
      await opened.shipment.close();
    },
  };
}
