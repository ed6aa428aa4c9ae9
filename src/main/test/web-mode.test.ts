import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseWebModeArgs, startWebMode, WEB_MODE_USAGE, type WebMode } from '../web-mode.ts';
import { WEB_SECRETS_FILE } from '../web-secrets.ts';
import { fakeAttachedRelay } from './support/fake-relay.ts';

/**
 * A raw request, so the path reaches the server exactly as written (fetch would normalize "..") and
 * any Host, Origin or Authorization header can be sent.
 */
function rawGet(
  base: string,
  path: string,
  method = 'GET',
  headers: Record<string, string> = {},
  body?: string,
): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = request({ host: hostname, port, path, method, headers }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('web mode host', () => {
  let dir: string;
  let web: WebMode;
  const relay = fakeAttachedRelay();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'converge-web-'));
    const webRoot = join(dir, 'out-web');
    await mkdir(join(webRoot, 'assets'), { recursive: true });
    await writeFile(
      join(webRoot, 'index.html'),
      '<!doctype html><script type="module" src="/assets/main.js"></script>',
    );
    await writeFile(join(webRoot, 'assets', 'main.js'), 'export {};');
    await writeFile(join(dir, 'secret.txt'), 'top secret');
    web = await startWebMode({
      port: 0,
      dataDir: join(dir, 'relay-data'),
      webRoot,
      room: 'lab',
      attachRelay: relay.attachRelay,
    });
  });
  afterAll(async () => {
    await web.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('mounts the relay on its own port (/relay, /api) with a stored admin token', async () => {
    const port = Number(new URL(web.url).port);
    expect(port).toBeGreaterThan(0);
    expect(relay.log.attached).toEqual([
      {
        mount: { host: '127.0.0.1', port, relayPath: '/relay', adminPath: '/api' },
        dataDir: join(dir, 'relay-data'),
        adminToken: expect.stringMatching(/^[\w-]{43}$/),
      },
    ]);
    expect(web.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/#key=[\w-]{43}$/);
    expect(web.url).not.toContain(relay.log.attached[0]!.adminToken);
    expect(web.relayUrl).toBe(`ws://127.0.0.1:${port}/relay`);
    expect(web.adminUrl).toBe(`http://127.0.0.1:${port}/api`);
    // Both secrets are kept for the next start, readable by their owner only.
    const stored = join(dir, 'relay-data', WEB_SECRETS_FILE);
    expect(JSON.parse(await readFile(stored, 'utf8'))).toEqual({
      version: 1,
      launchKey: new URL(web.url).hash.slice('#key='.length),
      relayAdminToken: relay.log.attached[0]!.adminToken,
    });
    if (process.platform !== 'win32') expect((await stat(stored)).mode & 0o777).toBe(0o600);
  });

  it('hands the admin API requests under /api to the relay, and upgrades only /relay', async () => {
    const res = await rawGet(web.url, '/api/rooms?x=1');
    expect(res.status).toBe(200);
    expect(res.body).toBe('{"fake":"relay"}');
    expect(relay.log.requests.at(-1)).toBe('/api/rooms?x=1');
    expect((await rawGet(web.url, '/apix')).status).toBe(404);
    const upgrade = (path: string) =>
      rawGet(web.url, path, 'GET', { connection: 'Upgrade', upgrade: 'websocket' }).catch(() => ({
        status: -1,
      }));
    expect((await upgrade('/relay')).status).toBe(418); // the fake relay's answer
    expect((await upgrade('/elsewhere')).status).toBe(404);
  });

  it('serves /config.json naming the relay on the host the page used', async () => {
    const res = await fetch(new URL('/config.json', web.url));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toEqual({ room: 'lab', relayUrl: web.relayUrl, adminUrl: web.adminUrl });
    const port = new URL(web.url).port;
    const viaLocalhost = await rawGet(web.url, '/config.json', 'GET', { host: `localhost:${port}` });
    expect(JSON.parse(viaLocalhost.body)).toEqual({
      room: 'lab',
      relayUrl: `ws://localhost:${port}/relay`,
      adminUrl: `http://localhost:${port}/api`,
    });
    expect(viaLocalhost.headers['content-security-policy']).toContain(
      `connect-src 'self' ws://localhost:${port} http://localhost:${port}`,
    );
  });

  it('serves the built renderer with the strict CSP', async () => {
    const page = await fetch(web.url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<!doctype html>');
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/script-src 'self' 'wasm-unsafe-eval';/);
    const origin = new URL(web.url).origin;
    expect(csp).toContain(`connect-src 'self' ${origin.replace('http:', 'ws:')} ${origin};`);
    expect(csp).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
    expect(page.headers.get('x-content-type-options')).toBe('nosniff');
    const script = await fetch(new URL('/assets/main.js?v=1', web.url));
    expect(script.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await script.text()).toBe('export {};');
  });

  it('answers 404 for path traversal and missing files, still with the CSP', async () => {
    for (const path of [
      '/../secret.txt',
      '/assets/../../secret.txt',
      '/%2e%2e/secret.txt',
      '/..%2Fsecret.txt',
      '/nope',
    ]) {
      const res = await rawGet(web.url, path);
      expect(res.status, path).toBe(404);
      expect(res.body, path).not.toContain('top secret');
      expect(res.headers['content-security-policy'], path).toBeDefined();
    }
  });

  it('answers HEAD without a body and refuses other methods', async () => {
    const head = await rawGet(web.url, '/', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    const post = await rawGet(web.url, '/config.json', 'POST');
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET, HEAD');
  });

  it('survives malformed requests', async () => {
    const { hostname, port } = new URL(web.url);
    const net = await import('node:net');
    await new Promise<void>((resolve) => {
      const socket = net.connect(Number(port), hostname, () => socket.end('GARBAGE \x00\x01 HTTP/9\r\n\r\n'));
      socket.on('close', () => resolve());
      socket.on('error', () => resolve());
      socket.resume();
    });
    expect((await fetch(new URL('/config.json', web.url))).status).toBe(200);
  });

  it('hands a tab a credential for its replica only with the launch key, from its own origin', async () => {
    const origin = new URL(web.url).origin;
    const key = new URL(web.url).hash.replace('#key=', '');
    const ask = (headers: Record<string, string>, body = '{"replica":"r-tab1"}') =>
      rawGet(web.url, '/credentials', 'POST', { 'content-type': 'application/json', ...headers }, body);
    const good = { origin, authorization: `Bearer ${key}` };
    const answer = await ask(good);
    expect(answer.status).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ token: expect.stringMatching(/-r-tab1$/) });
    expect(relay.log.minted.at(-1)).toEqual({
      room: 'lab',
      replica: 'r-tab1',
      rights: ['read', 'write', 'admin'],
    });
    // A room link's tab asks for its room; an invalid room name is refused.
    expect((await ask(good, '{"replica":"r-tab1","room":"team-2"}')).status).toBe(200);
    expect(relay.log.minted.at(-1)).toEqual({
      room: 'team-2',
      replica: 'r-tab1',
      rights: ['read', 'write', 'admin'],
    });
    expect((await ask(good, '{"replica":"r-tab1","room":"../x"}')).status).toBe(400);
    expect((await ask(good, '{"replica":"r-tab1","room":7}')).status).toBe(400);
    // Each page load gets its own credential (two tabs with one replica id never share one).
    expect(JSON.parse((await ask(good)).body).token).not.toBe(JSON.parse(answer.body).token);
    // Any other local process (no key), another page (other origin), or a bad body gets nothing.
    expect((await ask({ origin })).status).toBe(401);
    expect((await ask({ origin, authorization: 'Bearer guess' })).status).toBe(401);
    expect((await ask({ authorization: `Bearer ${key}` })).status).toBe(403);
    expect((await ask({ ...good, origin: 'http://evil.example' })).status).toBe(403);
    expect((await ask(good, '{"replica":"../etc"}')).status).toBe(400);
    expect((await ask(good, 'x'.repeat(5000))).status).toBe(400);
    expect((await rawGet(web.url, '/credentials', 'GET', good)).status).toBe(405);
    // /config.json is public and holds no credential.
    const config = await (await fetch(new URL('/config.json', web.url))).text();
    expect(config).not.toMatch(/token|key/i);
  });

  it('answers only requests naming its own host (DNS rebinding), 421 otherwise', async () => {
    const port = new URL(web.url).port;
    for (const host of [`evil.example:${port}`, `127.0.0.1:1`, 'localhost']) {
      expect((await rawGet(web.url, '/config.json', 'GET', { host })).status, host).toBe(421);
      expect((await rawGet(web.url, '/', 'GET', { host })).status, host).toBe(421);
    }
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
      expect((await rawGet(web.url, '/config.json', 'GET', { host })).status, host).toBe(200);
    }
  });

  it('closes idempotently and stops the relay it started', async () => {
    const extra = fakeAttachedRelay();
    const other = await startWebMode({
      port: 0,
      dataDir: join(dir, 'x'),
      webRoot: dir,
      attachRelay: extra.attachRelay,
    });
    await Promise.all([other.close(), other.close()]);
    expect(extra.log.closed).toBe(1);
    await expect(fetch(other.url)).rejects.toThrow();
  });

  it('restarted on the same port and folder, keeps its launch key and relay admin token', async () => {
    const first = fakeAttachedRelay();
    const dataDir = join(dir, 'restart');
    const before = await startWebMode({ port: 0, dataDir, webRoot: dir, attachRelay: first.attachRelay });
    const port = Number(new URL(before.url).port);
    await before.close();
    const second = fakeAttachedRelay();
    const after = await startWebMode({ port, dataDir, webRoot: dir, attachRelay: second.attachRelay });
    try {
      expect(after.url).toBe(before.url);
      expect(after.relayUrl).toBe(before.relayUrl);
      expect(second.log.attached[0]?.adminToken).toBe(first.log.attached[0]?.adminToken);
    } finally {
      await after.close();
    }
    // A damaged secrets file is set aside and replaced: the tabs then need the new URL.
    await writeFile(join(dataDir, WEB_SECRETS_FILE), '{"version":1,"launchKey":"short"}');
    const warnings: string[] = [];
    const third = fakeAttachedRelay();
    const fresh = await startWebMode({
      port,
      dataDir,
      webRoot: dir,
      attachRelay: third.attachRelay,
      warn: (m) => warnings.push(m),
    });
    try {
      expect(fresh.url).not.toBe(before.url);
      expect(third.log.attached[0]?.adminToken).not.toBe(first.log.attached[0]?.adminToken);
      expect(warnings).toEqual([expect.stringContaining('was not valid and was moved to')]);
    } finally {
      await fresh.close();
    }
  });

  it('uses a remote relay instead of starting one, and reports a busy port clearly', async () => {
    const extra = fakeAttachedRelay();
    const remote = await startWebMode({
      port: 0,
      dataDir: join(dir, 'y'),
      webRoot: dir,
      relayUrl: 'wss://relay.example/',
      adminToken: 'remote-admin',
      attachRelay: extra.attachRelay,
    });
    expect(extra.log.attached).toEqual([]);
    expect(await (await fetch(new URL('/config.json', remote.url))).json()).toMatchObject({
      relayUrl: 'wss://relay.example/',
      adminUrl: 'https://relay.example',
    });
    expect((await rawGet(remote.url, '/api/rooms')).status).toBe(404);
    const busyPort = Number(new URL(remote.url).port);
    await expect(
      startWebMode({ port: busyPort, dataDir: join(dir, 'z'), webRoot: dir, attachRelay: extra.attachRelay }),
    ).rejects.toThrow(`port ${busyPort} on 127.0.0.1 is in use; pass --port 0 for a free port`);
    // Nothing was attached for the failed attempt.
    expect(extra.log.attached).toEqual([]);
    await remote.close();
  });
});

describe('web mode flags', () => {
  it('has defaults and reads every flag', () => {
    expect(parseWebModeArgs([])).toEqual({ ok: true, options: { port: 5173, dataDir: 'data/web' } });
    expect(parseWebModeArgs(['--port', '0', '--data-dir', '/tmp/d', '--web-root=/w', '--room', 'r'])).toEqual(
      {
        ok: true,
        options: { port: 0, dataDir: '/tmp/d', webRoot: '/w', room: 'r' },
      },
    );
    expect(parseWebModeArgs(['--relay', 'ws://relay.example:4455', '--admin-token=T'])).toEqual({
      ok: true,
      options: {
        port: 5173,
        dataDir: 'data/web',
        relayUrl: 'ws://relay.example:4455/',
        adminToken: 'T',
      },
    });
  });

  it('answers --help with its usage, which names every flag', () => {
    expect(parseWebModeArgs(['--help'])).toEqual({ ok: true, help: true });
    expect(parseWebModeArgs(['-h', '--port', 'x'])).toEqual({ ok: true, help: true });
    for (const flag of [
      '--port',
      '--data-dir',
      '--room',
      '--relay',
      '--admin-token',
      '--web-root',
      '--help',
    ]) {
      expect(WEB_MODE_USAGE).toContain(flag);
    }
  });

  it('rejects unknown flags, stray arguments and bad values', () => {
    for (const argv of [
      ['--bogus'],
      ['--prot', '5173'],
      ['stray'],
      ['--port', 'abc'],
      ['--port=70000'],
      ['--port', '-1'],
      ['--port'],
      ['--data-dir='],
      ['--relay', 'http://x'],
      ['--relay-port', '4455'],
    ]) {
      const parsed = parseWebModeArgs(argv);
      expect(parsed.ok, argv.join(' ')).toBe(false);
    }
    expect(parseWebModeArgs(['--port', 'abc'])).toEqual({
      ok: false,
      error: '--port must be a port number 0-65535 (0 = free port), got "abc"',
    });
    expect(parseWebModeArgs(['--bogus'])).toEqual({ ok: false, error: expect.stringContaining("'--bogus'") });
    expect(parseWebModeArgs(['--relay-port', '1'])).toEqual({
      ok: false,
      error: expect.stringContaining('--relay-port is gone'),
    });
  });
});
