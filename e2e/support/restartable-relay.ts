/**
 * The relay web mode embeds, behind a switch: tests stop it and start it again on the same port (and
 * data folder) to check that windows reconnect and resync. It plugs into startWebMode's `startRelay`
 * option, so web mode itself is unchanged and still serves the same relay and admin URLs.
 */
import type { RelayOptions, RunningRelay, StartRelay } from '../../src/main/relay-host.ts';

export class RestartableRelay {
  private current: RunningRelay | undefined;
  private options: RelayOptions | undefined;
  private disposed = false;

  /** @param startReal how to start the real relay (web mode's own embedded relay). */
  constructor(private readonly startReal: StartRelay) {}

  /** Give this to startWebMode: starts the relay, then pins its port for later restarts. */
  readonly startRelay: StartRelay = async (options) => {
    if (this.options !== undefined) throw new Error('this relay is already started');
    const first = await this.startReal(options);
    this.current = first;
    this.options = { ...options, port: Number(new URL(first.url).port) };
    return {
      url: first.url,
      adminUrl: first.adminUrl,
      // Minting is pure (a key derived from the admin token): it works while the relay is stopped.
      mintCredential: (request) => first.mintCredential(request),
      close: () => this.dispose(),
    };
  };

  get running(): boolean {
    return this.current !== undefined;
  }

  /** Close the relay: every window's socket closes (as when the relay process goes away). */
  async stop(): Promise<void> {
    const relay = this.current;
    this.current = undefined;
    await relay?.close();
  }

  /** Start it again on the same port and data folder. */
  async start(): Promise<void> {
    if (this.disposed) throw new Error('the relay is disposed');
    if (this.options === undefined) throw new Error('the relay was never started');
    if (this.current !== undefined) return;
    this.current = await this.startReal(this.options);
  }

  private async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop();
  }
}
