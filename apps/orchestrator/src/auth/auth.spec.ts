import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@userstream/core';
import { createAuthMiddleware } from './auth.middleware';
import { credentialsMatch, parseBasicAuth, resolveCredentials } from './credentials';
import { readCookie, SESSION_COOKIE, SessionSigner } from './session';

describe('resolveCredentials', () => {
  it('uses ORCHESTRATOR_USER / ORCHESTRATOR_PASSWORD when set', () => {
    expect(resolveCredentials({ user: 'ops', password: 'correct horse battery', nodeEnv: 'production' })).toEqual({
      user: 'ops',
      password: 'correct horse battery',
      generated: false,
    });
  });

  it('generates a random password in development, different every time', () => {
    const a = resolveCredentials({ user: 'admin', nodeEnv: 'development' });
    const b = resolveCredentials({ user: 'admin', nodeEnv: 'development' });
    expect(a.generated).toBe(true);
    expect(a.password).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(a.password).not.toBe(b.password);
  });

  it('refuses to start in production without a password, naming the variable', () => {
    expect(() => resolveCredentials({ user: 'admin', nodeEnv: 'production' })).toThrow(ConfigError);
    expect(() => resolveCredentials({ user: 'admin', password: '', nodeEnv: 'production' })).toThrow(
      /^ORCHESTRATOR_PASSWORD: required when NODE_ENV=production/,
    );
    expect(() => resolveCredentials({ user: 'admin', password: 'short', nodeEnv: 'production' })).toThrow(
      /ORCHESTRATOR_PASSWORD: must be at least 12 characters/,
    );
  });

  it('refuses a short password in development too', () => {
    expect(() => resolveCredentials({ user: 'admin', password: 'admin', nodeEnv: 'development' })).toThrow(
      /^ORCHESTRATOR_PASSWORD: must be at least 12 characters$/,
    );
    expect(resolveCredentials({ user: 'admin', password: 'twelve-chars', nodeEnv: 'development' }).password).toBe('twelve-chars');
  });

  it('compares user and password', () => {
    const creds = { user: 'admin', password: 's3cret-pass', generated: false };
    expect(credentialsMatch(creds, 'admin', 's3cret-pass')).toBe(true);
    expect(credentialsMatch(creds, 'admin', 's3cret-pasS')).toBe(false);
    expect(credentialsMatch(creds, 'root', 's3cret-pass')).toBe(false);
    expect(parseBasicAuth(`Basic ${Buffer.from('admin:a:b').toString('base64')}`)).toEqual({ user: 'admin', password: 'a:b' });
    expect(parseBasicAuth('Bearer xyz')).toBeUndefined();
  });
});

describe('SessionSigner', () => {
  it('accepts its own tokens until they expire or are revoked, and nothing tampered', () => {
    const signer = new SessionSigner(undefined, 60_000);
    const now = 1_700_000_000_000;
    const token = signer.issue('admin', now);
    expect(signer.verify(token, now + 1000)).toBe('admin');
    expect(signer.verify(token, now + 60_000)).toBeUndefined();

    const [body, sig] = token.split('.');
    const forged = Buffer.from(JSON.stringify({ u: 'admin', e: now + 10 ** 9, n: 'x' })).toString('base64url');
    expect(signer.verify(`${forged}.${sig}`, now)).toBeUndefined();
    expect(signer.verify(`${body}.${sig.slice(0, -2)}aa`, now)).toBeUndefined();
    expect(new SessionSigner(undefined, 60_000).verify(token, now)).toBeUndefined(); // another process' random key

    signer.revoke(token, now);
    expect(signer.verify(token, now + 1000)).toBeUndefined();
  });

  it('shares sessions between processes with the same secret', () => {
    const token = new SessionSigner('a-shared-secret', 60_000).issue('admin');
    expect(new SessionSigner('a-shared-secret', 60_000).verify(token)).toBe('admin');
  });
});

describe('auth middleware', () => {
  let server: Server;
  let base: string;
  const credentials = { user: 'admin', password: 'pw-for-tests-1', generated: false };
  const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  beforeAll(async () => {
    const auth = createAuthMiddleware({
      credentials,
      sessions: new SessionSigner(undefined, 60_000),
      secureCookie: false,
      loginPage: (res) => res.end('<form>login</form>'),
      metricsToken: 'metrics-token-for-tests',
      failureDelayMs: 1,
      maxFailures: 1000,
    });
    server = createServer((req, res) => auth(req, res, () => res.end(`ok ${(req as { user?: string }).user ?? 'anonymous'}`)));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers API requests without credentials with 401 JSON and a Basic challenge', async () => {
    const res = await fetch(`${base}/api/jobs`);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Basic realm="userstream orchestrator"');
    expect(await res.json()).toEqual({ error: 'unauthorized', message: 'log in or send HTTP Basic credentials' });
    // The dashboard's own calls get no challenge, so the browser shows no password dialog.
    const quiet = await fetch(`${base}/api/jobs`, { headers: { 'x-requested-with': 'userstream-dashboard' } });
    expect(quiet.status).toBe(401);
    expect(quiet.headers.get('www-authenticate')).toBeNull();
    expect((await fetch(`${base}/api/jobs`, { headers: { authorization: basic('admin', 'wrong') } })).status).toBe(401);
  });

  it('lets HTTP Basic through for scripts', async () => {
    const res = await fetch(`${base}/api/jobs`, { headers: { authorization: basic('admin', 'pw-for-tests-1') } });
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('ok admin');
  });

  it('keeps liveness and static assets open, needs credentials for readiness and metrics, and sends pages to the login form', async () => {
    for (const path of ['/health/live', '/assets/dashboard.css']) expect(await (await fetch(`${base}${path}`)).text()).toBe('ok anonymous');
    for (const path of ['/health/ready', '/metrics']) {
      const anonymous = await fetch(`${base}${path}`);
      expect(anonymous.status).toBe(401);
      expect(anonymous.headers.get('www-authenticate')).toBeNull();
      expect(await (await fetch(`${base}${path}`, { headers: { authorization: 'Bearer metrics-token-for-tests' } })).text()).toBe('ok anonymous');
      expect((await fetch(`${base}${path}`, { headers: { authorization: 'Bearer metrics-token-for-testz' } })).status).toBe(401);
      expect(await (await fetch(`${base}${path}`, { headers: { authorization: basic('admin', 'pw-for-tests-1') } })).text()).toBe('ok admin');
    }
    // The metrics token opens nothing else.
    expect((await fetch(`${base}/api/jobs`, { headers: { authorization: 'Bearer metrics-token-for-tests' } })).status).toBe(401);
    const res = await fetch(`${base}/?tab=runs`, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/login?next=%2F%3Ftab%3Druns');
  });

  it('logs in with the form, sets an HttpOnly SameSite=Strict cookie that opens the API, and logs out', async () => {
    const wrong = await fetch(`${base}/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'admin', password: 'nope', next: '/' }),
      redirect: 'manual',
    });
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toBe('/login?error=1&next=%2F');
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const login = await fetch(`${base}/login`, {
      method: 'POST',
      body: new URLSearchParams({ username: 'admin', password: 'pw-for-tests-1', next: '//evil.example/' }),
      redirect: 'manual',
    });
    expect(login.status).toBe(303);
    expect(login.headers.get('location')).toBe('/'); // never an off-site redirect
    const setCookie = login.headers.get('set-cookie') ?? '';
    expect(setCookie).toMatch(new RegExp(`^${SESSION_COOKIE}=[^;]+; Path=/; HttpOnly; SameSite=Strict; Max-Age=60$`));
    const cookie = setCookie.split(';')[0];
    expect(readCookie(cookie, SESSION_COOKIE)).toBeDefined();

    const api = await fetch(`${base}/api/runs`, { headers: { cookie } });
    expect(await api.text()).toBe('ok admin');

    const logout = await fetch(`${base}/logout`, { method: 'POST', headers: { cookie }, redirect: 'manual' });
    expect(logout.headers.get('set-cookie')).toContain('Max-Age=0');
    expect((await fetch(`${base}/api/runs`, { headers: { cookie } })).status).toBe(401);
  });

  it('serves the login page to anyone', async () => {
    expect(await (await fetch(`${base}/login?next=/`)).text()).toBe('<form>login</form>');
  });
});
