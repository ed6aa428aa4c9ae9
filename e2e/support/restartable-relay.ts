/**
 * The relay web mode embeds, behind a switch: tests stop it and start it again (same mount on web mode's
 * port, same data folder and admin token) to check that windows reconnect and resync while the page
 * server stays up. It plugs into startWebMode's `attachRelay` option; while stopped, the relay's paths
 * answer 503 and its WebSocket upgrades are refused, as when a relay process has gone away.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { AttachedRunningRelay, AttachRelay, AttachRelayOptions } from '../../src/main/relay-host.ts';

export class RestartableRelay {
  private current: AttachedRunningRelay | undefined;
  private options: AttachRelayOptions | undefined;
  private first: AttachedRunningRelay | undefined;
  private disposed = false;

  /** @param attachReal how to start the real relay (web mode's own embedded relay). */
  constructor(private readonly attachReal: AttachRelay) {}

  /** Give this to startWebMode. */
  readonly attachRelay: AttachRelay = async (options) => {
    if (this.options !== undefined) throw new Error('this relay is already started');
    const first = await this.attachReal(options);
    this.current = first;
    this.first = first;
    this.options = options;
    return {
      url: first.url,
      adminUrl: first.adminUrl,
      // Minting is pure (a key derived from the admin token): it works while the relay is stopped.
      mintCredential: (request) => first.mintCredential(request),
      handleRequest: (req, res) => this.request(req, res),
      handleUpgrade: (req, socket, head) => this.upgrade(req, socket, head),
      close: () => this.dispose(),
    };
  };

  /** A room credential from this relay (what a stock client outside the app passes). */
  mintCredential: AttachedRunningRelay['mintCredential'] = (request) => {
    if (this.first === undefined) throw new Error('the relay was never started');
    return this.first.mintCredential(request);
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

  /** Start it again on the same mount and data folder. */
  async start(): Promise<void> {
    if (this.disposed) throw new Error('the relay is disposed');
    if (this.options === undefined) throw new Error('the relay was never started');
    if (this.current !== undefined) return;
    this.current = await this.attachReal(this.options);
  }

  private request(req: IncomingMessage, res: ServerResponse): void {
    if (this.current !== undefined) this.current.handleRequest(req, res);
    else res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"relay stopped"}\n');
  }

  private upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void {
    if (this.current !== undefined) this.current.handleUpgrade(req, socket, head);
    else socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
  }

  private async dispose(): Promise<void> {
    this.disposed = true;
    await this.stop();
  }
}
