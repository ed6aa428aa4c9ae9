/**
 * A byte log (the replica's durable store in Electron) across a MessagePort: the preload API exists only
 * on the page, so the page serves the log (`serveByteLog`) and the worker's `LogStore` uses a
 * `PortByteLog`. Calls and replies are validated on arrival (protocol.ts).
 */
import { errorMessage } from '@converge/protocol';
import type { ByteLog, ByteLogContents } from '@converge/replica';
import { type ByteLogCall, byteLogCallSchema, byteLogReplySchema } from './protocol.ts';

/** The few MessagePort members used here (a real MessagePort, or a fake in tests). */
export interface PortLike {
  postMessage(message: unknown): void;
  onmessage: ((event: MessageEvent) => void) | null;
  close?(): void;
}

export class PortByteLog implements ByteLog {
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();

  constructor(private readonly port: PortLike) {
    port.onmessage = (event) => {
      const parsed = byteLogReplySchema.safeParse(event.data);
      if (!parsed.success) return; // nothing can be answered for a reply that names no call
      const reply = parsed.data;
      const waiter = this.waiting.get(reply.id);
      if (waiter === undefined) return;
      this.waiting.delete(reply.id);
      if (reply.ok) waiter.resolve(reply.value);
      else waiter.reject(new Error(reply.error));
    };
  }

  async open(): Promise<ByteLogContents> {
    return (await this.call('open')) as ByteLogContents;
  }

  async append(record: Uint8Array): Promise<void> {
    await this.call('append', record);
  }

  async compact(snapshot: Uint8Array): Promise<void> {
    await this.call('compact', snapshot);
  }

  flush(): void {
    void this.call('flush').catch(() => {});
  }

  async close(): Promise<void> {
    await this.call('close');
  }

  private call(method: ByteLogCall['method'], bytes?: Uint8Array): Promise<unknown> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.port.postMessage(bytes === undefined ? { id, method } : { id, method, bytes });
    });
  }
}

/** Serve `log` to a PortByteLog at the other end of `port`; a malformed call gets an error reply. */
export function serveByteLog(port: PortLike, log: ByteLog): void {
  port.onmessage = (event) => {
    const parsed = byteLogCallSchema.safeParse(event.data);
    if (!parsed.success) {
      const id = (event.data as { id?: unknown } | null)?.id;
      if (typeof id === 'number')
        port.postMessage({
          id,
          ok: false,
          error: `malformed store call: ${parsed.error.issues[0]?.message}`,
        });
      return;
    }
    const { id, method, bytes } = parsed.data;
    const run = async (): Promise<unknown> => {
      switch (method) {
        case 'open':
          return log.open();
        case 'append':
          if (bytes === undefined) throw new Error('append needs the record');
          return log.append(bytes);
        case 'compact':
          if (bytes === undefined) throw new Error('compact needs the snapshot');
          return log.compact(bytes);
        case 'flush':
          return log.flush?.();
        case 'close':
          return log.close();
      }
    };
    run().then(
      (value) => port.postMessage({ id, ok: true, value: value ?? null }),
      (error: unknown) => port.postMessage({ id, ok: false, error: errorMessage(error) }),
    );
  };
}
