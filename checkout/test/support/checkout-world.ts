/**
 * A whole checkout world on a virtual clock, for model tests: windows (checkout clients) and the room's
 * authority node over a test network, the authority's store and the services' ledgers on a memory disk
 * that survives crashes of the authority's process.
 */
import { SeededRandom } from '@converge/crdt-core';
import {
  AUTHORITY_NODE_ID,
  AuthorityHost,
  AuthorityNode,
  CheckoutClient,
  type CheckoutPolicy,
  type GatePoint,
  type Lines,
  LocalAuthorityStore,
  SimulatedService,
} from '../../src/index.ts';
import { MemoryDisk } from './memory-disk.ts';
import { TestNetwork } from './test-network.ts';
import { VirtualClock } from './virtual-time.ts';

export const WORLD_POLICY: Partial<CheckoutPolicy> = {
  leaseMs: 2000,
  callTimeoutMs: 500,
  maxAttempts: 3,
  retryDelayMs: 50,
  maxRetryDelayMs: 1000,
};

interface Process {
  readonly store: LocalAuthorityStore;
  readonly payment: SimulatedService;
  readonly shipment: SimulatedService;
  readonly host: AuthorityHost;
  readonly node: AuthorityNode;
}

export class CheckoutWorld {
  readonly clock = new VirtualClock(1_000_000);
  readonly net: TestNetwork;
  readonly clients = new Map<string, CheckoutClient>();
  private readonly disks = {
    authority: new MemoryDisk(),
    payment: new MemoryDisk(),
    shipment: new MemoryDisk(),
  };
  private process: Process | undefined;
  /** Latency and failures to set on the services of every process (they outlive a crash). */
  crashes = 0;

  constructor(
    seed: number,
    readonly windows: readonly string[],
    private readonly policy: Partial<CheckoutPolicy> = WORLD_POLICY,
  ) {
    this.net = new TestNetwork(this.clock, new SeededRandom(seed), windows);
    for (const window of windows) {
      const client = new CheckoutClient({
        replica: window,
        clock: this.clock,
        retryMs: 400,
        link: {
          send: (bytes) => this.net.send(window, AUTHORITY_NODE_ID, bytes),
          reachable: () => this.net.reachable(window, AUTHORITY_NODE_ID),
        },
      });
      this.clients.set(window, client);
      this.net.attach(
        window,
        (_from, bytes) => client.receive(bytes),
        (_peer, up) => (up ? client.linkUp() : client.linkDown()),
      );
    }
  }

  get current(): Process {
    if (this.process === undefined) throw new Error('the authority is not running');
    return this.process;
  }

  /** Start the authority's process from what its disk holds. */
  async boot(): Promise<void> {
    const store = new LocalAuthorityStore(this.disks.authority.open());
    const payment = new SimulatedService('payment', this.clock, this.disks.payment.open());
    const shipment = new SimulatedService('shipment', this.clock, this.disks.shipment.open());
    const host = await AuthorityHost.start({
      store,
      payment,
      shipment,
      clock: this.clock,
      policy: this.policy,
    });
    const node = new AuthorityNode(host, {
      send: (to, bytes) => this.net.send(AUTHORITY_NODE_ID, to, bytes),
      windows: () => this.windows.filter((w) => this.net.reachable(AUTHORITY_NODE_ID, w)),
    });
    this.process = { store, payment, shipment, host, node };
    this.net.attach(
      AUTHORITY_NODE_ID,
      (from, bytes) => void node.receive(from, bytes),
      (peer, up) => {
        if (up) void node.linkUp(peer);
      },
    );
  }

  /** The authority's process dies at once (SIGKILL) and starts again from its disk. */
  async crash(): Promise<void> {
    const dead = this.current;
    this.crashes++;
    this.disks.authority.crash();
    this.disks.payment.crash();
    this.disks.shipment.crash();
    dead.node.close();
    this.net.detach(AUTHORITY_NODE_ID);
    void dead.host.close();
    this.process = undefined;
    await this.boot();
  }

  checkout(window: string, key: string, lines: Lines) {
    return (this.clients.get(window) as CheckoutClient).checkout(lines, key);
  }

  pause(before?: GatePoint): void {
    this.current.host.pause(before);
  }

  resume(): void {
    this.current.host.resume();
  }

  async close(): Promise<void> {
    for (const client of this.clients.values()) client.close();
    this.current.node.close();
    this.current.host.resume();
    void this.current.host.close();
  }
}
