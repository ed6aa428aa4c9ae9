import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  freshReplicaId,
  parseWebConfig,
  parseWindowConfig,
  replicaFromPageUrl,
} from '../platform/window-config.ts';

const counter = () => {
  let n = 0;
  return () => n++ * 7;
};

describe('replicaFromPageUrl', () => {
  it('keeps a valid ?replica= and does not touch the URL', () => {
    expect(replicaFromPageUrl('http://127.0.0.1:5173/?replica=alice', counter())).toEqual({
      replicaId: 'alice',
    });
  });

  it('makes a fresh id when missing or invalid, and the URL to keep it across reloads', () => {
    const fresh = replicaFromPageUrl('http://127.0.0.1:5173/?x=1#top', counter());
    expect(fresh.replicaId).toMatch(/^r-[0-9a-z]{7}$/);
    expect(fresh.replaceUrl).toBe(`http://127.0.0.1:5173/?x=1&replica=${fresh.replicaId}#top`);
    const invalid = replicaFromPageUrl('http://h/?replica=%20bad%20id', counter());
    expect(invalid.replicaId).not.toBe(' bad id');
    expect(new URL(invalid.replaceUrl ?? '').searchParams.get('replica')).toBe(invalid.replicaId);
  });

  it('fresh ids are valid scenario and relay ids', () => {
    const id = freshReplicaId(() => 35);
    expect(id).toBe('r-zzzzzzz');
  });
});

describe('configuration validation', () => {
  it('accepts what web mode serves and what Electron hands over', () => {
    const web = { room: 'default', relayUrl: 'ws://127.0.0.1:4455', adminUrl: 'http://127.0.0.1:4455' };
    expect(parseWebConfig(web)).toEqual(web);
    expect(parseWindowConfig({ ...web, replicaId: 'a', token: 't' }).token).toBe('t');
    // Main could not get a credential yet: the window opens anyway and knows why.
    expect(parseWindowConfig({ ...web, replicaId: 'a', credentialProblem: 'relay down' })).toEqual({
      ...web,
      replicaId: 'a',
      credentialProblem: 'relay down',
    });
    expect(() => parseWindowConfig({ ...web, replicaId: 'a', token: '' })).toThrow(/token/);
  });

  it('names the bad field', () => {
    expect(() => parseWebConfig({ room: 'x', relayUrl: 'http://nope', adminUrl: 'http://h' })).toThrow(
      ConfigError,
    );
    expect(() => parseWebConfig({ room: 'x', relayUrl: 'http://nope', adminUrl: 'http://h' })).toThrow(
      /relayUrl/,
    );
    expect(() =>
      parseWindowConfig({
        room: 'x',
        relayUrl: 'ws://h',
        adminUrl: 'http://h',
        replicaId: '../etc',
        token: 't',
      }),
    ).toThrow(/replica id/);
    expect(() => parseWebConfig(null)).toThrow(ConfigError);
  });
});
