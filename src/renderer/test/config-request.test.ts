import { describe, expect, it } from 'vitest';
import { requestWebConfig } from '../platform/config-request.ts';

describe("web mode's config request", () => {
  it('asks for /config.json at once, uncached, and hands over the response', async () => {
    const asked: [string, RequestInit][] = [];
    const response = new Response('{}');
    const request = requestWebConfig({}, async (input, init) => {
      asked.push([input, init]);
      return response;
    });
    expect(asked).toEqual([['/config.json', { cache: 'no-store' }]]);
    expect(await request).toBe(response);
  });

  it('asks for nothing in Electron (its preload API gives the config)', () => {
    let asked = 0;
    const request = requestWebConfig({ converge: {} }, async () => {
      asked++;
      return new Response('{}');
    });
    expect(request).toBeUndefined();
    expect(asked).toBe(0);
  });

  it('leaves a failed request for whoever reads it, not as an unhandled rejection', async () => {
    const request = requestWebConfig({}, () => Promise.reject(new Error('offline')));
    await expect(request).rejects.toThrow('offline');
  });
});
