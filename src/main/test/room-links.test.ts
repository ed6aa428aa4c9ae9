import { describe, expect, it } from 'vitest';
import {
  parseRoomLink,
  type RoomLinkApp,
  registerRoomLinks,
  roomFromArgv,
  roomLinkFor,
} from '../room-links.ts';

describe('room links', () => {
  it('parse converge://room/NAME and nothing else', () => {
    expect(parseRoomLink('converge://room/team')).toBe('team');
    expect(parseRoomLink('converge://room/team/')).toBe('team');
    expect(parseRoomLink(roomLinkFor('r-1.x'))).toBe('r-1.x');
    for (const bad of [
      'converge://app/index.html',
      'converge://room/',
      'converge://room/..%2Fx',
      'https://room/x',
      7,
      `converge://room/${'x'.repeat(300)}`,
    ])
      expect(parseRoomLink(bad), String(bad)).toBeUndefined();
    expect(() => roomLinkFor('a b')).toThrow(RangeError);
    expect(roomFromArgv(['/usr/bin/converge', '--flag', 'converge://room/lab'])).toBe('lab');
    expect(roomFromArgv(['/usr/bin/converge'])).toBeUndefined();
  });

  it('register with the OS and route open-url and second-instance links', () => {
    const handlers = new Map<string, (...args: never[]) => void>();
    const calls: string[] = [];
    const app: RoomLinkApp = {
      setAsDefaultProtocolClient: (protocol, path, args) => {
        calls.push(`register ${protocol} ${path ?? ''} ${args?.join(' ') ?? ''}`.trim());
        return true;
      },
      on: (event: string, listener: (...args: never[]) => void) => handlers.set(event, listener),
    } as RoomLinkApp;
    registerRoomLinks(app, {
      defaultApp: true,
      execPath: 'electron',
      appPath: 'out/main/index.js',
      open: (room) => calls.push(`open ${room}`),
      other: () => calls.push('other'),
      warn: (message) => calls.push(`warn ${message.slice(0, 20)}`),
    });
    let prevented = 0;
    const openUrl = handlers.get('open-url') as unknown as (
      e: { preventDefault(): void },
      url: string,
    ) => void;
    const second = handlers.get('second-instance') as unknown as (e: unknown, argv: string[]) => void;
    openUrl({ preventDefault: () => prevented++ }, 'converge://room/team');
    openUrl({ preventDefault: () => prevented++ }, 'converge://evil/x');
    second({}, ['converge', 'converge://room/lab']);
    second({}, ['converge']);
    expect(prevented).toBe(2);
    expect(calls).toEqual([
      'register converge electron out/main/index.js',
      'open team',
      'warn ignored a link that ',
      'other',
      'open lab',
      'other',
    ]);
  });
});
