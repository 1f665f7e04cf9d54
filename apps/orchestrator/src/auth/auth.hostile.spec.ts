import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { waitFor, type Logger } from '@userstream/core';
import { createAuthMiddleware, type AuthMiddlewareOptions } from './auth.middleware';
import { checkCsrf } from './csrf';
import { LoginLimiter } from './login-limiter';
import { safeNext } from './safe-next';
import { securityHeaders } from './security-headers';
import { SessionSigner } from './session';

// Hostile input against the orchestrator's front door: every case here is a
// request an attacker can send, and each must get a 4xx or a safe redirect,
// never a crash or a redirect off the site.

const PASSWORD = 'pw-for-tests-1';
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

/** Log lines as JSON text, so a test can look for a secret in all of them. */
function capturingLogger(lines: string[]): Logger {
  const make = (bindings: Record<string, unknown>): Logger => {
    const log =
      (level: string) =>
      (obj: object | string, msg?: string): void => {
        lines.push(JSON.stringify(typeof obj === 'string' ? { level, ...bindings, msg: obj } : { level, ...bindings, ...obj, msg }));
      };
    return {
      trace: log('trace'),
      debug: log('debug'),
      info: log('info'),
      warn: log('warn'),
      error: log('error'),
      fatal: log('fatal'),
      child: (more) => make({ ...bindings, ...more }),
    };
  };
  return make({});
}

async function serve(options: Partial<AuthMiddlewareOptions>): Promise<{ server: Server; base: string }> {
  const headers = securityHeaders();
  const auth = createAuthMiddleware({
    credentials: { user: 'admin', password: PASSWORD, generated: false },
    sessions: new SessionSigner(undefined, 60_000),
    secureCookie: false,
    loginPage: (res) => res.end('<form>login</form>'),
    failureDelayMs: 1,
    ...options,
  });
  const server = createServer((req: IncomingMessage, res: ServerResponse) =>
    headers(req, res, () =>
      auth(req, res, () => {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ ok: (req as { user?: string }).user ?? 'anonymous' }));
      }),
    ),
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

async function close(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
}

const loginForm = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: { 'content-type': 'application/x-www-form-urlencoded' },
  body: new URLSearchParams(fields).toString(),
  redirect: 'manual' as const,
});

describe('safeNext', () => {
  it.each([
    ['/\t/evil.example/x', '/'],
    ['/\n/evil.example/x', '/'],
    ['/\\evil.example/x', '/'],
    ['/\\/evil.example', '/'],
    ['//evil.example', '/'],
    ['/%2F/evil.example', '/'],
    ['/%2f%2fevil.example', '/'],
    ['/%5Cevil.example', '/'],
    ['/%E0%A4%A', '/'],
    ['https://evil.example/', '/'],
    ['javascript:alert(1)', '/'],
    ['', '/'],
    ['/Ā', '/%C4%80'],
    ['/runs?job=user_data_kafka_stream#top', '/runs?job=user_data_kafka_stream'],
    ['/a/../b', '/b'],
  ])('%j → %j', (next, expected) => {
    expect(safeNext(next)).toBe(expected);
  });
});

describe('checkCsrf', () => {
  const req = (method: string, headers: Record<string, string>) => ({ method, headers: { host: 'orch.local:3000', ...headers } }) as unknown as IncomingMessage;

  it('lets reads through and judges state changes by where they come from and what they carry', () => {
    expect(checkCsrf(req('GET', { origin: 'https://evil.example' }))).toBeUndefined();
    expect(checkCsrf(req('POST', {}))).toBeUndefined(); // a script, no body
    expect(checkCsrf(req('POST', { 'content-type': 'application/json' }))).toBeUndefined();
    expect(checkCsrf(req('POST', { 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' }))).toBeUndefined();
    expect(checkCsrf(req('POST', { origin: 'http://orch.local:3000', 'content-type': 'application/json; charset=utf-8' }))).toBeUndefined();
    expect(checkCsrf(req('POST', { origin: 'https://dash.example', 'x-forwarded-host': 'dash.example', 'content-type': 'application/json' }))).toBeUndefined();

    expect(checkCsrf(req('POST', { 'sec-fetch-site': 'cross-site', 'content-type': 'application/json' }))?.status).toBe(403);
    expect(checkCsrf(req('POST', { 'sec-fetch-site': 'same-site', 'content-type': 'application/json' }))?.status).toBe(403);
    expect(checkCsrf(req('DELETE', { origin: 'https://evil.example' }))?.status).toBe(403);
    expect(checkCsrf(req('POST', { origin: 'null', 'content-type': 'application/json' }))?.status).toBe(403);
    expect(checkCsrf(req('POST', { origin: 'not a url', 'content-type': 'application/json' }))?.status).toBe(403);
    expect(checkCsrf(req('POST', { 'content-type': 'text/plain' }))?.status).toBe(415);
    expect(checkCsrf(req('POST', { 'content-type': 'application/x-www-form-urlencoded' }))?.status).toBe(415);
    expect(checkCsrf(req('POST', { 'content-type': 'application/x-www-form-urlencoded' }), { allowForm: true })).toBeUndefined();
    expect(checkCsrf(req('POST', { 'content-type': 'multipart/form-data; boundary=x' }), { allowForm: true })?.status).toBe(415);
  });
});

describe('LoginLimiter', () => {
  it('locks a key after the allowed failures, doubles the lock-out, and clears on success', () => {
    const limiter = new LoginLimiter({ maxFailures: 3, lockoutMs: 1000, maxLockoutMs: 5000 });
    const t = 1_000_000;
    expect(limiter.fail(['ip:a'], t)).toBe(0);
    expect(limiter.fail(['ip:a'], t)).toBe(0);
    expect(limiter.fail(['ip:a'], t)).toBe(1000);
    expect(limiter.retryAfterMs(['ip:a', 'user:x'], t + 500)).toBe(500);
    expect(limiter.retryAfterMs(['ip:b'], t)).toBe(0);
    expect(limiter.fail(['ip:a'], t + 1000)).toBe(2000);
    expect(limiter.fail(['ip:a'], t + 3000)).toBe(4000);
    expect(limiter.fail(['ip:a'], t + 7000)).toBe(5000); // capped
    limiter.succeed(['ip:a']);
    expect(limiter.retryAfterMs(['ip:a'], t + 7001)).toBe(0);
  });

  it('forgets the oldest keys past its bound', () => {
    const limiter = new LoginLimiter({ maxFailures: 1, lockoutMs: 1000, maxKeys: 2 });
    limiter.fail(['a'], 0);
    limiter.fail(['b'], 0);
    limiter.fail(['c'], 0);
    expect(limiter.retryAfterMs(['a'], 1)).toBe(0);
    expect(limiter.retryAfterMs(['c'], 1)).toBe(999);
  });
});

describe('auth middleware under attack', () => {
  let server: Server;
  let base: string;
  const lines: string[] = [];

  beforeAll(async () => {
    ({ server, base } = await serve({ logger: capturingLogger(lines), maxFailures: 1000 }));
  });
  afterAll(() => close(server));

  it('survives the crash string in next= and redirects to the encoded path', async () => {
    const res = await fetch(`${base}/login`, loginForm({ username: 'admin', password: PASSWORD, next: '/Ā' }));
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toBe('/%C4%80');
    const wrong = await fetch(`${base}/login?next=${encodeURIComponent('/ĀĀ\u2028')}`, loginForm({ username: 'admin', password: 'nope' }));
    expect(wrong.status).toBe(303);
    expect(wrong.headers.get('location')).toMatch(/^\/login\?error=1&next=%2F/);
    // Still serving.
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
  });

  it.each([
    ['a tab', '/\t/evil.example/x'],
    ['a backslash', '/\\evil.example/x'],
    ['an encoded slash', '/%2F/evil.example/x'],
    ['an encoded backslash', '/%5C/evil.example/x'],
    ['a scheme-relative URL', '//evil.example/x'],
  ])('never redirects off the site after login, with %s in next=', async (_, next) => {
    const res = await fetch(`${base}/login`, loginForm({ username: 'admin', password: PASSWORD, next }));
    expect(res.status).toBe(303);
    const location = res.headers.get('location') ?? '';
    expect(location).toBe('/');
    expect(new URL(location, 'https://orch.example').origin).toBe('https://orch.example');
  });

  it('refuses a cross-site POST carrying cached HTTP Basic credentials', async () => {
    const cached = { authorization: basic('admin', PASSWORD) };
    // What a browser sends for a form on evil.example posting to the API.
    const modern = await fetch(`${base}/api/jobs/user_data_kafka_stream/trigger`, {
      method: 'POST',
      headers: { ...cached, origin: 'https://evil.example', 'sec-fetch-site': 'cross-site', 'content-type': 'application/x-www-form-urlencoded' },
      body: 'params=x',
    });
    expect(modern.status).toBe(403);
    expect(await modern.json()).toEqual({ error: 'forbidden', message: 'cross-site request refused (Sec-Fetch-Site: cross-site)' });
    const older = await fetch(`${base}/api/jobs/user_data_kafka_stream/pause`, { method: 'POST', headers: { ...cached, origin: 'https://evil.example' } });
    expect(older.status).toBe(403);
    const textPlain = await fetch(`${base}/api/jobs/user_data_kafka_stream/unpause`, {
      method: 'POST',
      headers: { ...cached, 'content-type': 'text/plain' },
      body: '{}',
    });
    expect(textPlain.status).toBe(415);
    // The same request from the dashboard itself, or from a script, goes through.
    const own = await fetch(`${base}/api/jobs/user_data_kafka_stream/pause`, {
      method: 'POST',
      headers: { ...cached, 'sec-fetch-site': 'same-origin', 'content-type': 'application/json' },
      body: '{}',
    });
    expect(await own.json()).toEqual({ ok: 'admin' });
    expect((await fetch(`${base}/api/jobs/user_data_kafka_stream/pause`, { method: 'POST', headers: cached })).status).toBe(200);
    // Login CSRF: a cross-site form cannot log a victim in either.
    const crossLogin = await fetch(`${base}/login`, {
      ...loginForm({ username: 'admin', password: PASSWORD }),
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
    });
    expect(crossLogin.status).toBe(403);
    expect(crossLogin.headers.get('set-cookie')).toBeNull();
  });

  it('answers a malformed cookie with 400 and no stack trace', async () => {
    for (const cookie of ['userstream_session=%E0%A4%A', 'userstream_session=%', 'a=b; userstream_session=%ZZ']) {
      const res = await fetch(`${base}/api/jobs`, { headers: { cookie } });
      expect(res.status).toBe(400);
      const text = await res.text();
      expect(JSON.parse(text)).toEqual({ error: 'bad_request', message: 'malformed Cookie header' });
      expect(text).not.toMatch(/at .*\.(ts|js):\d+/);
    }
    const logout = await fetch(`${base}/logout`, { method: 'POST', headers: { cookie: 'userstream_session=%E0%A4%A' }, redirect: 'manual' });
    expect(logout.status).toBe(400);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
  });

  it('refuses oversized and broken login bodies without crashing', async () => {
    const big = await fetch(`${base}/login`, loginForm({ username: 'admin', password: 'x'.repeat(10_000) }));
    expect(big.status).toBe(413);
    for (const body of ['null', '[1]', '{"username":{"toString":1},"password":"x"}', '{', '{"__proto__":{"password":"pw-for-tests-1"},"username":"admin"}']) {
      const res = await fetch(`${base}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body, redirect: 'manual' });
      expect(res.status).toBe(303);
      expect(res.headers.get('location')).toMatch(/^\/login\?error=1/);
      expect(res.headers.get('set-cookie')).toBeNull();
    }
  });

  it('puts the security headers on JSON answers too', async () => {
    const res = await fetch(`${base}/api/jobs`);
    expect(res.status).toBe(401);
    expect(res.headers.get('content-type')).toBe('application/json');
    const csp = res.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("form-action 'self'");
    expect(csp).toContain("base-uri 'none'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('referrer-policy')).toBe('same-origin');
    expect(res.headers.get('x-powered-by')).toBeNull();
  });

  it('logs failed HTTP Basic logins without the password', async () => {
    lines.length = 0;
    expect((await fetch(`${base}/api/jobs`, { headers: { authorization: basic('admin', 'guess-number-one') } })).status).toBe(401);
    const failure = lines.map((l) => JSON.parse(l) as Record<string, unknown>).find((l) => l['msg'] === 'failed HTTP Basic login');
    expect(failure).toMatchObject({ level: 'warn', kind: 'basic', user: 'admin', remote: '127.0.0.1' });
    expect(lines.join('\n')).not.toContain('guess-number-one');
  });
});

describe('100 failed logins', () => {
  let server: Server;
  let base: string;
  const lines: string[] = [];

  beforeAll(async () => {
    // Long enough that a busy machine's slow logins still fall inside one lock-out.
    ({ server, base } = await serve({ logger: capturingLogger(lines), maxFailures: 5, lockoutMs: 1000 }));
  });
  afterAll(() => close(server));

  it('lock the address and the account out, keep the app alive, and let the right password in once the lock-out ends', async () => {
    const outcomes: string[] = [];
    for (let i = 0; i < 100; i++) {
      const res = await fetch(`${base}/login`, loginForm({ username: 'admin', password: `guess-${i}`, next: '/' }));
      expect(res.status).toBe(303);
      outcomes.push(new URL(res.headers.get('location') ?? '', base).searchParams.get('error') ?? 'none');
    }
    expect(outcomes.slice(0, 4)).toEqual(['1', '1', '1', '1']);
    expect(outcomes.filter((o) => o === 'locked').length).toBeGreaterThan(50);

    // While locked, even the right password is refused (no guessing goes on), form and Basic alike.
    const right = await fetch(`${base}/login`, loginForm({ username: 'admin', password: PASSWORD }));
    expect(right.headers.get('location')).toMatch(/^\/login\?error=locked/);
    expect(Number(right.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(right.headers.get('set-cookie')).toBeNull();
    const viaBasic = await fetch(`${base}/api/jobs`, { headers: { authorization: basic('admin', PASSWORD) } });
    expect(viaBasic.status).toBe(429);
    expect(viaBasic.headers.get('retry-after')).toMatch(/^\d+$/);

    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect(lines.some((l) => l.includes('login refused: too many failures'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/guess-\d+|pw-for-tests-1/);

    // The lock-out ends by itself; then the right password works and clears the count.
    const cookie = await waitFor(
      async () => {
        const res = await fetch(`${base}/login`, loginForm({ username: 'admin', password: PASSWORD }));
        return res.headers.get('set-cookie') ?? undefined;
      },
      { timeoutMs: 60_000, intervalMs: 250, description: 'the lock-out to end' },
    );
    expect(cookie).toMatch(/^userstream_session=/);
  }, 90_000);
});

describe('secure cookies', () => {
  it('use the __Host- prefix with Secure, Path=/ and no Domain', async () => {
    const { server, base } = await serve({ secureCookie: true });
    try {
      const res = await fetch(`${base}/login`, loginForm({ username: 'admin', password: PASSWORD }));
      const setCookie = res.headers.get('set-cookie') ?? '';
      expect(setCookie).toMatch(/^__Host-userstream_session=[^;]+; Path=\/; HttpOnly; SameSite=Strict; Max-Age=60; Secure$/);
      expect(setCookie).not.toMatch(/domain=/i);
      const cookie = setCookie.split(';')[0];
      expect(await (await fetch(`${base}/api/jobs`, { headers: { cookie } })).json()).toEqual({ ok: 'admin' });
      // The unprefixed name (which a sibling subdomain could plant) is not read.
      const planted = cookie.replace('__Host-', '');
      expect((await fetch(`${base}/api/jobs`, { headers: { cookie: planted } })).status).toBe(401);
    } finally {
      await close(server);
    }
  });
});
