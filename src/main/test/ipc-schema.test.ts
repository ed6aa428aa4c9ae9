import { describe, expect, it } from 'vitest';
import { IPC_CHANNELS } from '../../preload/api.ts';
import {
  IpcRequestError,
  type IpcSender,
  ipcArgumentSchemas,
  isIpcChannel,
  MAX_RECORD_BYTES,
  MAX_SNAPSHOT_BYTES,
  parseIpcArguments,
  validateSender,
} from '../ipc-schema.ts';
import { createAppUrlPolicy } from '../security.ts';

describe('IPC argument schemas', () => {
  it('cover exactly the channels of the preload API', () => {
    expect(Object.keys(ipcArgumentSchemas).sort()).toEqual(Object.values(IPC_CHANNELS).sort());
    expect(isIpcChannel(IPC_CHANNELS.storeAppend)).toBe(true);
    expect(isIpcChannel('converge:rm-rf')).toBe(false);
    expect(isIpcChannel('toString')).toBe(false);
  });

  it('accept well-formed calls', () => {
    const record = new Uint8Array([1, 2, 3]);
    expect(parseIpcArguments(IPC_CHANNELS.storeAppend, [record])).toEqual([record]);
    expect(parseIpcArguments(IPC_CHANNELS.storeAppend, [Buffer.from([1])])[0]).toBeInstanceOf(Uint8Array);
    expect(parseIpcArguments(IPC_CHANNELS.storeOpen, [])).toEqual([]);
    expect(parseIpcArguments(IPC_CHANNELS.storeCompact, [new Uint8Array(0)])).toHaveLength(1);
  });

  it('reject wrong types with a message naming channel and argument', () => {
    const wrong: unknown[] = [
      'text',
      42,
      null,
      undefined,
      [1, 2],
      { 0: 1, length: 1 },
      new ArrayBuffer(4),
      new Int8Array(2),
      new Uint16Array(2),
    ];
    for (const value of wrong) {
      expect(() => parseIpcArguments(IPC_CHANNELS.storeAppend, [value]), String(value)).toThrow(
        IpcRequestError,
      );
    }
    expect(() => parseIpcArguments(IPC_CHANNELS.storeAppend, ['text'])).toThrow(
      'converge:store-append: invalid arguments: argument 1: record must be a Uint8Array',
    );
    expect(() => parseIpcArguments(IPC_CHANNELS.storeCompact, [{}])).toThrow(
      /argument 1: snapshot must be a Uint8Array/,
    );
  });

  it('reject missing and extra arguments', () => {
    expect(() => parseIpcArguments(IPC_CHANNELS.storeAppend, [])).toThrow(/storeAppend|store-append/);
    expect(() => parseIpcArguments(IPC_CHANNELS.storeAppend, [])).toThrow(/expected 1 argument\(s\), got 0/);
    expect(() => parseIpcArguments(IPC_CHANNELS.storeOpen, ['replica-b'])).toThrow(
      'converge:store-open: invalid arguments: expected at most 0 argument(s), got 1',
    );
    expect(() => parseIpcArguments(IPC_CHANNELS.storeAppend, [new Uint8Array(1), new Uint8Array(1)])).toThrow(
      /at most 1 argument/,
    );
  });

  it('reject oversized payloads', () => {
    expect(() =>
      parseIpcArguments(IPC_CHANNELS.storeAppend, [new Uint8Array(MAX_RECORD_BYTES)]),
    ).not.toThrow();
    expect(() => parseIpcArguments(IPC_CHANNELS.storeAppend, [new Uint8Array(MAX_RECORD_BYTES + 1)])).toThrow(
      `record exceeds the limit of ${MAX_RECORD_BYTES} bytes`,
    );
    // A view into a big buffer is measured by its own length.
    const big = new Uint8Array(MAX_SNAPSHOT_BYTES + 1);
    expect(() => parseIpcArguments(IPC_CHANNELS.storeCompact, [big])).toThrow(/snapshot exceeds the limit/);
    expect(() => parseIpcArguments(IPC_CHANNELS.storeCompact, [big.subarray(0, 10)])).not.toThrow();
  });
});

describe('sender validation', () => {
  const windows = new Map<number, string>([
    [1, 'alpha'],
    [2, 'beta'],
  ]);
  const policy = { replicaFor: (id: number) => windows.get(id), isAppUrl: createAppUrlPolicy() };
  const sender = (over: Partial<IpcSender> = {}): IpcSender => ({
    webContentsId: 1,
    frameUrl: 'converge://app/index.html',
    isMainFrame: true,
    ...over,
  });

  it('binds a call to the replica of the calling window', () => {
    expect(validateSender('c', sender(), policy)).toBe('alpha');
    expect(validateSender('c', sender({ webContentsId: 2 }), policy)).toBe('beta');
  });

  it('refuses unknown windows, subframes, foreign pages and destroyed frames', () => {
    expect(() => validateSender('c', sender({ webContentsId: 99 }), policy)).toThrow(
      'c: refused: webContents 99 is not a replica window',
    );
    expect(() => validateSender('c', sender({ isMainFrame: false }), policy)).toThrow(
      /not the window's main frame/,
    );
    expect(() => validateSender('c', sender({ frameUrl: 'https://evil.example/' }), policy)).toThrow(
      /sender frame is not the app \(https:\/\/evil.example\/\)/,
    );
    expect(() => validateSender('c', sender({ frameUrl: 'file:///tmp/x.html' }), policy)).toThrow(
      IpcRequestError,
    );
    expect(() => validateSender('c', sender({ frameUrl: undefined }), policy)).toThrow(/not the app/);
  });
});
