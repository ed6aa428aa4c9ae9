/**
 * A stand-in for the relay in tests that are about the app shell, not the relay: it listens on a
 * real loopback port (so URLs are real) and records how it was started and closed.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { RelayOptions, StartRelay } from '../../relay-host.ts';

export interface FakeRelayLog {
  readonly started: RelayOptions[];
  closed: number;
}

export function fakeRelay(): { startRelay: StartRelay; log: FakeRelayLog } {
  const log: FakeRelayLog = { started: [], closed: 0 };
  const startRelay: StartRelay = async (options) => {
    log.started.push(options);
    const server = createServer((_req, res) => res.end('fake relay'));
    await new Promise<void>((resolve) => server.listen(options.port, options.host, resolve));
    const { port } = server.address() as AddressInfo;
    return {
      url: `ws://${options.host}:${port}`,
      adminUrl: `http://${options.host}:${port}`,
      close: async () => {
        log.closed++;
        server.closeAllConnections();
        await new Promise<void>((resolve) => server.close(() => resolve()));
      },
    };
  };
  return { startRelay, log };
}
