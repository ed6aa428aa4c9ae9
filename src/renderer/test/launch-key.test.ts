import { describe, expect, it } from 'vitest';
import { keyFromPasted, launchKeyFromPage, requestTabCredential } from '../platform/launch-key.ts';
import { ConfigError } from '../platform/window-config.ts';

const KEY = 'k'.repeat(43);

describe('launchKeyFromPage', () => {
  it('takes the key from #key=, to be stored and removed from the address bar', () => {
    expect(launchKeyFromPage(`http://127.0.0.1:5173/?replica=a#key=${KEY}`, 'older-key-older-key')).toEqual({
      key: KEY,
      store: KEY,
      replaceUrl: 'http://127.0.0.1:5173/?replica=a',
    });
  });

  it('falls back to the stored key, and has none when neither is valid', () => {
    expect(launchKeyFromPage('http://127.0.0.1:5173/', KEY)).toEqual({ key: KEY });
    expect(launchKeyFromPage('http://127.0.0.1:5173/', null)).toEqual({ key: undefined });
    expect(launchKeyFromPage('http://127.0.0.1:5173/', 'short')).toEqual({ key: undefined });
    expect(launchKeyFromPage('http://127.0.0.1:5173/#key=<script>', KEY)).toEqual({
      key: undefined,
      replaceUrl: 'http://127.0.0.1:5173/',
    });
  });
});

describe('requestTabCredential', () => {
  const answering =
    (status: number, body: unknown) =>
    async (input: string, init?: RequestInit): Promise<Response> => {
      expect(input).toBe('/credentials');
      expect(init?.method).toBe('POST');
      expect(new Headers(init?.headers).get('authorization')).toBe(`Bearer ${KEY}`);
      expect(JSON.parse(String(init?.body))).toEqual({ replica: 'r-1' });
      return new Response(JSON.stringify(body), { status });
    };

  it('posts the replica id with the key and returns the token', async () => {
    await expect(requestTabCredential(KEY, 'r-1', answering(200, { token: 'jwt' }))).resolves.toBe('jwt');
  });

  it('explains a missing key, a refusal and a malformed answer', async () => {
    await expect(requestTabCredential(undefined, 'r-1', answering(200, {}))).rejects.toThrow(
      /opened without its launch key/,
    );
    await expect(
      requestTabCredential(KEY, 'r-1', answering(401, { error: 'no valid launch key' })),
    ).rejects.toThrow(/\(401\): no valid launch key/);
    await expect(requestTabCredential(KEY, 'r-1', answering(200, { nope: 1 }))).rejects.toThrow(ConfigError);
    const down = async (): Promise<Response> => {
      throw new TypeError('Failed to fetch');
    };
    await expect(requestTabCredential(KEY, 'r-1', down)).rejects.toThrow(
      /cannot reach web mode.*Failed to fetch/,
    );
  });
});

describe('a key pasted when the page asks for one', () => {
  it('is taken from a room link or as it is, and nothing else', () => {
    const key = 'k'.repeat(32);
    expect(keyFromPasted(` http://127.0.0.1:5173/?room=team#key=${key} `)).toBe(key);
    expect(keyFromPasted(key)).toBe(key);
    expect(keyFromPasted('http://127.0.0.1:5173/?room=team')).toBeUndefined();
    expect(keyFromPasted('#key=short')).toBeUndefined();
    expect(keyFromPasted('')).toBeUndefined();
  });
});
