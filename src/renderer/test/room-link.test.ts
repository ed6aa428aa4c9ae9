import { describe, expect, it } from 'vitest';
import {
  freshRoomName,
  roomFromPageUrl,
  roomLink,
  storeNameFor,
  switchRoomUrl,
} from '../platform/room-link.ts';

const page = 'http://127.0.0.1:5173/?replica=r-abc1234&room=team';

describe('room links', () => {
  it('read the room from ?room=, falling back to web mode’s with a reason for a bad name', () => {
    expect(roomFromPageUrl(page, 'default')).toEqual({ room: 'team' });
    expect(roomFromPageUrl('http://127.0.0.1:5173/', 'default')).toEqual({ room: 'default' });
    const bad = roomFromPageUrl('http://127.0.0.1:5173/?room=..%2Fx', 'default');
    expect(bad.room).toBe('default');
    expect(bad.problem).toMatch(/may only contain/);
  });

  it('make a link without this tab’s replica, with the launch key when there is one', () => {
    expect(roomLink(page, 'team', 'k'.repeat(20))).toBe(
      `http://127.0.0.1:5173/?room=team#key=${'k'.repeat(20)}`,
    );
    expect(roomLink(`${page}#x`, 'other', undefined)).toBe('http://127.0.0.1:5173/?room=other');
    expect(roomFromPageUrl(roomLink(page, 'other', undefined), 'default').room).toBe('other');
    expect(switchRoomUrl(page, 'x-1')).toBe('http://127.0.0.1:5173/?replica=r-abc1234&room=x-1');
  });

  it('name fresh rooms and keep each room’s data in its own store', () => {
    let n = 0;
    expect(freshRoomName(() => n++)).toBe('room-012345');
    expect(storeNameFor('r-1', 'default', 'default')).toBe('r-1');
    expect(storeNameFor('r-1', 'team', 'default')).toBe('r-1@team');
  });
});
