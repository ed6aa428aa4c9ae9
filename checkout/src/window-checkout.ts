/**
 * A window's checkout on its one connection: the transport split in two (protocol's
 * `splitCheckoutChannel`), the replica's half returned for the replica, the checkout half driving a
 * `CheckoutClient`. The app and the relay tests wire a window the same way through here.
 */
import { splitCheckoutChannel, type Transport } from '@converge/protocol';
import { CheckoutClient, type CheckoutClientOptions } from './client.ts';

export interface WindowCheckout {
  /** Give this to the window's replica: the room without the authority. */
  readonly transport: Transport;
  readonly client: CheckoutClient;
}

export function attachCheckout(
  connection: Transport,
  options: Omit<CheckoutClientOptions, 'link' | 'replica'>,
): WindowCheckout {
  const split = splitCheckoutChannel(connection);
  const client = new CheckoutClient({ ...options, replica: connection.nodeId, link: split.link });
  split.listen({
    linkUp: () => client.linkUp(),
    linkDown: () => client.linkDown(),
    message: (payload) => client.receive(payload),
  });
  return { transport: split.transport, client };
}
