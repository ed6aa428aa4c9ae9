/**
 * A window's connection carried on to the node that owns its room: a WebSocket client to the owner's
 * relay whose frames pass through unread both ways. The owner sees the window's own hello and
 * credential (every node of a cluster verifies the same credentials) and applies its limits as to any
 * socket. The header names the forwarding node, so the owner never forwards the connection again.
 */
import { CloseCode } from '@converge/protocol';
import WebSocket, { type RawData } from 'ws';

/** The header a forwarded connection carries: the id of the node that forwarded it. */
export const FORWARDED_BY_HEADER = 'x-converge-forwarded-by';

export interface UpstreamHandlers {
  open(): void;
  message(bytes: Uint8Array, isBinary: boolean): void;
  /** The owner's side closed (or could not be reached): the code and reason to close the window with. */
  closed(code: number, reason: string): void;
}

/** Close codes that can be passed on to the window as they are; others become 1001 (reconnect). */
const PASSED_ON = new Set<number>([1000, 1001, 1008, 1009, 1011, 1013]);

export class Upstream {
  private readonly ws: WebSocket;
  private readonly queued: { bytes: Uint8Array; isBinary: boolean }[] = [];
  private done = false;

  constructor(
    url: string,
    forwardedBy: string,
    private readonly handlers: UpstreamHandlers,
  ) {
    this.ws = new WebSocket(url, {
      headers: { [FORWARDED_BY_HEADER]: forwardedBy },
      perMessageDeflate: false,
    });
    this.ws.binaryType = 'nodebuffer';
    this.ws.on('open', () => {
      for (const { bytes, isBinary } of this.queued.splice(0)) this.ws.send(bytes, { binary: isBinary });
      handlers.open();
    });
    this.ws.on('message', (data: RawData, isBinary) => handlers.message(toBytes(data), isBinary));
    this.ws.on('error', () => this.finish(CloseCode.TryAgainLater, 'the room owner is unreachable'));
    this.ws.on('close', (code, reason) => {
      const passed = code >= 4000 || PASSED_ON.has(code);
      this.finish(
        passed ? code : CloseCode.GoingAway,
        passed ? reason.toString('utf8') : 'the room owner went away',
      );
    });
  }

  send(bytes: Uint8Array, isBinary: boolean): void {
    if (this.done) return;
    if (this.ws.readyState === WebSocket.CONNECTING) this.queued.push({ bytes, isBinary });
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.send(bytes, { binary: isBinary });
  }

  /** The window's side is gone: close towards the owner (no handler runs). */
  close(): void {
    if (this.done) return;
    this.done = true;
    if (this.ws.readyState === WebSocket.OPEN) this.ws.close(CloseCode.Normal, 'window left');
    else this.ws.terminate();
  }

  private finish(code: number, reason: string): void {
    if (this.done) return;
    this.done = true;
    this.ws.terminate();
    this.handlers.closed(code, reason);
  }
}

function toBytes(data: RawData): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  return data;
}
