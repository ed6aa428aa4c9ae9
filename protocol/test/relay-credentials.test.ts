// Asking a relay's admin API for a room credential, and keeping the first one obtained.
import { describe, expect, it } from 'vitest';
import { keepCredential, requestCredential } from '../src/relay-credentials.ts';

const options = {
  adminUrl: 'http://relay:4455/',
  adminCredential: 'admin',
  room: 'r 1',
  replica: 'a',
  rights: ['read'] as const,
};

describe('requestCredential', () => {
  it('posts replica and rights with the admin credential and returns the token', async () => {
    const calls: { url: string; init: RequestInit | undefined }[] = [];
    const token = await requestCredential({
      ...options,
      fetch: async (url, init) => {
        calls.push({ url, init });
        return new Response(JSON.stringify({ token: 'jwt', room: 'r 1' }), { status: 200 });
      },
    });
    expect(token).toBe('jwt');
    expect(calls[0]?.url).toBe('http://relay:4455/rooms/r%201/credentials');
    expect(calls[0]?.init?.method).toBe('POST');
    expect(new Headers(calls[0]?.init?.headers).get('authorization')).toBe('Bearer admin');
    expect(JSON.parse(String(calls[0]?.init?.body))).toEqual({ replica: 'a', rights: ['read'] });
  });

  it('says why when the relay refuses, answers nonsense or cannot be reached', async () => {
    const answer = (status: number, body: string) => async () => new Response(body, { status });
    await expect(
      requestCredential({ ...options, fetch: answer(403, '{"error":"cannot grant write"}') }),
    ).rejects.toThrow('the relay refused a credential for a in room r 1 (403: cannot grant write)');
    await expect(requestCredential({ ...options, fetch: answer(502, '<html>') })).rejects.toThrow(/\(502\)$/);
    await expect(requestCredential({ ...options, fetch: answer(200, '{"token":""}') })).rejects.toThrow(
      /without a token/,
    );
    const down = async (): Promise<Response> => {
      throw new TypeError('connect ECONNREFUSED');
    };
    await expect(requestCredential({ ...options, fetch: down })).rejects.toThrow(
      'cannot reach the relay at http://relay:4455/: connect ECONNREFUSED',
    );
  });
});

describe('keepCredential', () => {
  it('asks until it gets one, then keeps it', async () => {
    const answers = ['unreachable', 'jwt', 'other'];
    let asked = 0;
    const credential = keepCredential(async () => {
      const answer = answers[asked++] as string;
      if (answer === 'unreachable') throw new Error(answer);
      return answer;
    });
    await expect(credential()).rejects.toThrow('unreachable');
    expect(await credential()).toBe('jwt');
    expect(await credential()).toBe('jwt');
    expect(asked).toBe(2);
  });
});
