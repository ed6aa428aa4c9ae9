import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  DEFAULT_ROOM,
  loadSettings,
  parseCliArgs,
  parseRelayUrl,
  parseSettingsFile,
  resolveSettings,
  SettingsError,
} from '../settings.ts';

describe('command-line flags', () => {
  it('reads --relay, --room and --admin-token in both spellings and ignores other arguments', () => {
    const parsed = parseCliArgs([
      '/path/to/electron',
      '.',
      '--no-sandbox-warning-for-test',
      '--relay',
      'ws://relay.example:4455',
      '--room=lab-1',
      '--admin-token=s3cret',
    ]);
    expect(parsed).toEqual({
      ok: true,
      settings: { relayUrl: 'ws://relay.example:4455/', room: 'lab-1', adminToken: 's3cret' },
    });
    expect(parseCliArgs([])).toEqual({ ok: true, settings: {} });
  });

  it('rejects bad values with a message naming the flag', () => {
    expect(parseCliArgs(['--relay'])).toEqual({ ok: false, error: '--relay needs a value' });
    expect(parseCliArgs(['--relay', '--room', 'x'])).toEqual({ ok: false, error: '--relay needs a value' });
    const http = parseCliArgs(['--relay=http://example.com']);
    expect(http.ok === false && http.error).toMatch(/^--relay: .*must use ws: or wss:/);
    const garbage = parseCliArgs(['--relay', 'not a url']);
    expect(garbage.ok === false && garbage.error).toMatch(/is not a URL/);
    const room = parseCliArgs(['--room', '../escape']);
    expect(room.ok === false && room.error).toMatch(/^--room: room "..\/escape" must be/);
    const token = parseCliArgs(['--admin-token=']);
    expect(token.ok === false && token.error).toMatch(/admin token must be/);
  });

  it('refuses credentials and fragments in relay URLs', () => {
    expect(parseRelayUrl('ws://user:pw@host:1').ok).toBe(false);
    expect(parseRelayUrl('wss://host/#x').ok).toBe(false);
    expect(parseRelayUrl('wss://host:443/relay')).toEqual({ ok: true, url: 'wss://host/relay' });
  });
});

describe('settings file', () => {
  it('keeps the valid fields and warns about each bad one', () => {
    const { settings, warnings } = parseSettingsFile(
      JSON.stringify({ relayUrl: 'ftp://x', room: 'team', adminToken: 42, unknown: true }),
    );
    expect(settings).toEqual({ room: 'team' });
    expect(warnings).toEqual([
      expect.stringMatching(/^settings\.relayUrl: .*must use ws: or wss:.*; ignored$/),
      'settings.adminToken must be a string; ignored',
    ]);
  });

  it('treats unparseable or non-object files as empty, with a warning', () => {
    expect(parseSettingsFile('{ nope')).toEqual({
      settings: {},
      warnings: [expect.stringMatching(/not valid JSON.*ignored/)],
    });
    expect(parseSettingsFile('[1,2]').warnings).toEqual(['settings file must hold a JSON object; ignored']);
    expect(parseSettingsFile('null').warnings).toHaveLength(1);
    expect(parseSettingsFile('{"relayUrl": null, "room": ""}')).toEqual({ settings: {}, warnings: [] });
  });

  it('lets flags win over the file and the file over defaults', () => {
    expect(resolveSettings({}, {})).toEqual({ room: DEFAULT_ROOM });
    expect(resolveSettings({}, { relayUrl: 'ws://a/', room: 'f' })).toEqual({
      relayUrl: 'ws://a/',
      room: 'f',
    });
    expect(
      resolveSettings({ relayUrl: 'ws://b/' }, { relayUrl: 'ws://a/', room: 'f', adminToken: 't' }),
    ).toEqual({
      relayUrl: 'ws://b/',
      room: 'f',
      adminToken: 't',
    });
  });
});

describe('loadSettings', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-settings-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('uses defaults when there is no file, and the file when there is one', async () => {
    const warnings: string[] = [];
    const path = join(dir, 'settings.json');
    expect(await loadSettings({ argv: [], settingsPath: path, warn: (w) => warnings.push(w) })).toEqual({
      room: DEFAULT_ROOM,
    });
    await writeFile(path, JSON.stringify({ relayUrl: 'wss://relay.example/', room: 'r' }));
    expect(
      await loadSettings({ argv: ['--room', 'cli'], settingsPath: path, warn: (w) => warnings.push(w) }),
    ).toEqual({ relayUrl: 'wss://relay.example/', room: 'cli' });
    expect(warnings).toEqual([]);
  });

  it('warns about a corrupt file and carries on with defaults; throws SettingsError for bad flags', async () => {
    const warnings: string[] = [];
    const path = join(dir, 'settings.json');
    await writeFile(path, '\u0000\u0001garbage');
    expect(await loadSettings({ argv: [], settingsPath: path, warn: (w) => warnings.push(w) })).toEqual({
      room: DEFAULT_ROOM,
    });
    expect(warnings).toEqual([expect.stringContaining(`${path}: settings file is not valid JSON`)]);
    await expect(
      loadSettings({ argv: ['--relay', 'x'], settingsPath: path, warn: () => {} }),
    ).rejects.toThrow(SettingsError);
  });

  it('warns when the settings path cannot be read (a folder)', async () => {
    const warnings: string[] = [];
    expect(await loadSettings({ argv: [], settingsPath: dir, warn: (w) => warnings.push(w) })).toEqual({
      room: DEFAULT_ROOM,
    });
    expect(warnings).toEqual([expect.stringMatching(/^cannot read .*; using defaults$/)]);
  });
});
