import type { IncomingMessage, ServerResponse } from 'node:http';
import { bearerToken, componentLogger, describeError, sleep, tokenMatches, type Logger } from '@userstream/core';
import { credentialsMatch, parseBasicAuth, type Credentials } from './credentials';
import { checkCsrf } from './csrf';
import { LoginLimiter } from './login-limiter';
import { safeNext } from './safe-next';
import { MalformedCookieError, readCookie, sessionCookieName, type SessionSigner } from './session';

/** Options for {@link createAuthMiddleware}. */
export interface AuthMiddlewareOptions {
  credentials: Credentials;
  sessions: SessionSigner;
  /** Add `Secure` to the cookie and name it `__Host-…` (serve over HTTPS). */
  secureCookie: boolean;
  /** Serves the login page (GET /login). */
  loginPage: (res: ServerResponse) => void;
  /** Bearer token that opens `/metrics` and `/health/ready` (METRICS_TOKEN); unset: those need a login. */
  metricsToken?: string;
  /** Pause before answering a failed login, in milliseconds, to slow down guessing. Default 300. */
  failureDelayMs?: number;
  /** Failed logins per client address and per user name before a lock-out. Default 5. */
  maxFailures?: number;
  /** First lock-out in milliseconds, doubling per further failure. Default 1000. */
  lockoutMs?: number;
  logger?: Logger;
}

/** Paths anyone may fetch: liveness, the login page and static assets that hold no data. */
const OPEN = [/^\/health\/live$/, /^\/login$/, /^\/assets\/[A-Za-z0-9._-]+$/, /^\/favicon\.ico$/];
/** Paths a scraper may read with the metrics token. */
const OPS = [/^\/health\/ready$/, /^\/metrics$/];

const MAX_FORM_BYTES = 4096;

/** A request body past {@link MAX_FORM_BYTES}. */
class BodyTooLargeError extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new BodyTooLargeError('form too large'));
        req.resume();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The login form's fields from a urlencoded or JSON body; only string values count. */
function parseForm(body: string, contentType: string | undefined): URLSearchParams {
  if (!(contentType ?? '').toLowerCase().startsWith('application/json')) return new URLSearchParams(body);
  const parsed: unknown = JSON.parse(body);
  const form = new URLSearchParams();
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return form;
  for (const name of ['username', 'password', 'next']) {
    const value = Object.hasOwn(parsed, name) ? (parsed as Record<string, unknown>)[name] : undefined;
    if (typeof value === 'string') form.set(name, value);
  }
  return form;
}

function redirect(res: ServerResponse, location: string, cookie?: string): void {
  res.statusCode = 303;
  res.setHeader('location', location);
  res.setHeader('cache-control', 'no-store');
  if (cookie) res.setHeader('set-cookie', cookie);
  res.end();
}

function sendJson(res: ServerResponse, status: number, body: { error: string; message: string }, headers: Record<string, string> = {}): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.statusCode = status;
  res.setHeader('content-type', 'application/json');
  res.setHeader('cache-control', 'no-store');
  for (const [name, value] of Object.entries(headers)) res.setHeader(name, value);
  res.end(JSON.stringify(body));
}

/** The client address a failed login counts against. */
function peerOf(req: IncomingMessage): string {
  return req.socket?.remoteAddress ?? 'unknown';
}

/**
 * A connect-style middleware guarding the dashboard and the API. A request
 * gets through with a valid session cookie or with HTTP Basic credentials
 * (for scripts); `/metrics` and `/health/ready` also with the metrics
 * token. Otherwise API and operations requests get 401 JSON and pages are
 * redirected to the login form. It also serves `GET/POST /login` and
 * `POST /logout`.
 *
 * Against abuse: state-changing requests must come from this origin and
 * carry JSON (see {@link checkCsrf}); failed logins, form or Basic, are
 * logged and locked out per client address and per user name with a growing
 * lock-out; `next` after login stays on this origin; a malformed cookie is
 * answered 400; no error inside ever escapes to the process. The session
 * cookie is HttpOnly and SameSite=Strict, and `__Host-` + Secure over HTTPS.
 */
export function createAuthMiddleware(options: AuthMiddlewareOptions) {
  const logger = componentLogger(options.logger, 'auth');
  const failureDelayMs = options.failureDelayMs ?? 300;
  const limiter = new LoginLimiter({ maxFailures: options.maxFailures ?? 5, lockoutMs: options.lockoutMs ?? 1000 });
  const cookieName = sessionCookieName(options.secureCookie);
  const cookie = (value: string, maxAgeSeconds: number) =>
    `${cookieName}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${options.secureCookie ? '; Secure' : ''}`;
  const limiterKeys = (req: IncomingMessage, user: string) => [`ip:${peerOf(req)}`, `user:${user.slice(0, 200)}`];
  const retryAfter = (ms: number) => ({ 'retry-after': String(Math.max(1, Math.ceil(ms / 1000))) });

  /** Checks a user name and password against the lock-out; logs and counts a failure. */
  const attempt = async (
    req: IncomingMessage,
    user: string,
    password: string,
    kind: 'form' | 'basic',
  ): Promise<{ ok: true } | { ok: false; lockedMs: number }> => {
    const keys = limiterKeys(req, user);
    const locked = limiter.retryAfterMs(keys);
    if (locked > 0) {
      logger.warn({ kind, user: user.slice(0, 200), remote: peerOf(req), retryAfterMs: locked }, 'login refused: too many failures');
      return { ok: false, lockedMs: locked };
    }
    if (credentialsMatch(options.credentials, user, password)) {
      limiter.succeed(keys);
      return { ok: true };
    }
    const lockedMs = limiter.fail(keys);
    logger.warn({ kind, user: user.slice(0, 200), remote: peerOf(req), lockedMs }, kind === 'basic' ? 'failed HTTP Basic login' : 'failed login');
    await sleep(failureDelayMs);
    return { ok: false, lockedMs };
  };

  const login = async (req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> => {
    let form: URLSearchParams;
    try {
      form = parseForm(await readBody(req), req.headers['content-type']);
    } catch (error) {
      if (error instanceof BodyTooLargeError)
        return sendJson(res, 413, { error: 'payload_too_large', message: `the login form is limited to ${MAX_FORM_BYTES} bytes` });
      form = new URLSearchParams();
    }
    const next = safeNext(form.get('next') ?? url.searchParams.get('next'));
    const user = form.get('username') ?? '';
    const result = await attempt(req, user, form.get('password') ?? '', 'form');
    if (result.ok) {
      logger.info({ user }, 'login');
      redirect(res, next, cookie(options.sessions.issue(user), Math.floor(options.sessions.ttlMs / 1000)));
      return;
    }
    if (result.lockedMs > 0) res.setHeader('retry-after', retryAfter(result.lockedMs)['retry-after']);
    redirect(res, `/login?error=${result.lockedMs > 0 ? 'locked' : '1'}&next=${encodeURIComponent(next)}`);
  };

  const unauthorized = (req: IncomingMessage, res: ServerResponse, path: string, url: URL): void => {
    if (path.startsWith('/api/') || path === '/api' || OPS.some((p) => p.test(path))) {
      // Scripts get the Basic challenge; the dashboard's own requests do not, so the browser shows no password prompt.
      const challenge = req.headers['x-requested-with'] !== 'userstream-dashboard' && !OPS.some((p) => p.test(path));
      sendJson(
        res,
        401,
        { error: 'unauthorized', message: 'log in or send HTTP Basic credentials' },
        challenge ? { 'www-authenticate': 'Basic realm="userstream orchestrator", charset="UTF-8"' } : {},
      );
      return;
    }
    redirect(res, `/login?next=${encodeURIComponent(safeNext(path + url.search))}`);
  };

  const guard = async (req: IncomingMessage, res: ServerResponse, next: () => void): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    const isLogin = path === '/login';
    const csrf = checkCsrf(req, { allowForm: isLogin || path === '/logout' });
    if (csrf) {
      logger.warn(
        { method: req.method, path, remote: peerOf(req), origin: req.headers.origin, site: req.headers['sec-fetch-site'] },
        'cross-site request refused',
      );
      return sendJson(res, csrf.status, { error: csrf.status === 403 ? 'forbidden' : 'unsupported_media_type', message: csrf.message });
    }
    if (isLogin && req.method === 'POST') return login(req, res, url);
    if (isLogin && (req.method === 'GET' || req.method === 'HEAD')) return options.loginPage(res);
    if (path === '/logout' && req.method === 'POST') {
      options.sessions.revoke(readCookie(req.headers.cookie, cookieName));
      return redirect(res, '/login', cookie('', 0));
    }
    if (OPEN.some((pattern) => pattern.test(path))) return next();
    if (OPS.some((pattern) => pattern.test(path)) && options.metricsToken && tokenMatches(bearerToken(req.headers.authorization), [options.metricsToken]))
      return next();

    const basic = parseBasicAuth(req.headers.authorization);
    let user: string | undefined;
    if (basic) {
      const result = await attempt(req, basic.user, basic.password, 'basic');
      if (!result.ok && result.lockedMs > 0) {
        return sendJson(res, 429, { error: 'too_many_requests', message: 'too many failed logins; try again later' }, retryAfter(result.lockedMs));
      }
      user = result.ok ? basic.user : undefined;
    } else {
      user = options.sessions.verify(readCookie(req.headers.cookie, cookieName));
    }
    if (user === undefined) return unauthorized(req, res, path, url);
    (req as IncomingMessage & { user?: string }).user = user;
    next();
  };

  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    // Every error is answered here: a request never reaches the process-wide crash policy.
    guard(req, res, next).catch((error: unknown) => {
      if (error instanceof MalformedCookieError) return sendJson(res, 400, { error: 'bad_request', message: 'malformed Cookie header' });
      logger.error({ err: describeError(error), method: req.method }, 'request failed in the auth layer');
      sendJson(res, 500, { error: 'internal_error', message: 'the request could not be handled' });
    });
  };
}
