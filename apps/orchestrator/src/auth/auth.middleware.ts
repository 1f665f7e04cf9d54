import type { IncomingMessage, ServerResponse } from 'node:http';
import { componentLogger, sleep, type Logger } from '@userstream/core';
import { credentialsMatch, parseBasicAuth, type Credentials } from './credentials';
import { readCookie, SESSION_COOKIE, type SessionSigner } from './session';

/** Options for {@link createAuthMiddleware}. */
export interface AuthMiddlewareOptions {
  credentials: Credentials;
  sessions: SessionSigner;
  /** Add `Secure` to the cookie (serve over HTTPS). */
  secureCookie: boolean;
  /** Serves the login page (GET /login). */
  loginPage: (res: ServerResponse) => void;
  /** Pause before answering a failed login, in milliseconds, to slow down guessing. Default 300. */
  failureDelayMs?: number;
  logger?: Logger;
}

/** Paths anyone may fetch: probes, metrics, the login page and static assets that hold no data. */
const OPEN = [/^\/health\/(live|ready)$/, /^\/metrics$/, /^\/login$/, /^\/assets\/[A-Za-z0-9._-]+$/, /^\/favicon\.ico$/];

const MAX_FORM_BYTES = 4096;

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let size = 0;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_FORM_BYTES) {
        reject(new Error('form too large'));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** Only same-site paths are followed after login: never an absolute URL, never `//host`. */
function safeNext(next: string | null | undefined): string {
  return next && next.startsWith('/') && !next.startsWith('//') && !next.startsWith('/\\') ? next : '/';
}

function redirect(res: ServerResponse, location: string, cookie?: string): void {
  res.statusCode = 303;
  res.setHeader('location', location);
  res.setHeader('cache-control', 'no-store');
  if (cookie) res.setHeader('set-cookie', cookie);
  res.end();
}

/**
 * A connect-style middleware guarding the dashboard and the API. A request
 * gets through with a valid session cookie or with HTTP Basic credentials
 * (for scripts). Otherwise API requests get 401 JSON and pages are
 * redirected to the login form. It also serves `GET/POST /login` and
 * `POST /logout`. The session cookie is HttpOnly and SameSite=Strict.
 */
export function createAuthMiddleware(options: AuthMiddlewareOptions) {
  const logger = componentLogger(options.logger, 'auth');
  const failureDelayMs = options.failureDelayMs ?? 300;
  const cookie = (value: string, maxAgeSeconds: number) =>
    `${SESSION_COOKIE}=${value}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${maxAgeSeconds}${options.secureCookie ? '; Secure' : ''}`;

  const login = async (req: IncomingMessage, res: ServerResponse, url: URL) => {
    let form: URLSearchParams;
    try {
      const body = await readBody(req);
      form = (req.headers['content-type'] ?? '').includes('application/json')
        ? new URLSearchParams(Object.entries(JSON.parse(body) as Record<string, string>))
        : new URLSearchParams(body);
    } catch {
      form = new URLSearchParams();
    }
    const next = safeNext(form.get('next') ?? url.searchParams.get('next'));
    const user = form.get('username') ?? '';
    if (credentialsMatch(options.credentials, user, form.get('password') ?? '')) {
      logger.info({ user }, 'login');
      redirect(res, next, cookie(options.sessions.issue(user), Math.floor(options.sessions.ttlMs / 1000)));
      return;
    }
    logger.warn({ user, remote: req.socket.remoteAddress }, 'failed login');
    await sleep(failureDelayMs);
    redirect(res, `/login?error=1&next=${encodeURIComponent(next)}`);
  };

  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const path = url.pathname;
    if (path === '/login' && req.method === 'POST') {
      void login(req, res, url);
      return;
    }
    if (path === '/login' && (req.method === 'GET' || req.method === 'HEAD')) {
      options.loginPage(res);
      return;
    }
    if (path === '/logout' && req.method === 'POST') {
      options.sessions.revoke(readCookie(req.headers.cookie, SESSION_COOKIE));
      redirect(res, '/login', cookie('', 0));
      return;
    }
    if (OPEN.some((pattern) => pattern.test(path))) return next();

    const basic = parseBasicAuth(req.headers.authorization);
    const user = basic
      ? credentialsMatch(options.credentials, basic.user, basic.password)
        ? basic.user
        : undefined
      : options.sessions.verify(readCookie(req.headers.cookie, SESSION_COOKIE));
    if (user !== undefined) {
      (req as IncomingMessage & { user?: string }).user = user;
      return next();
    }
    if (path.startsWith('/api/') || path === '/api') {
      res.statusCode = 401;
      res.setHeader('content-type', 'application/json');
      // Scripts get the Basic challenge; the dashboard's own requests do not, so the browser shows no password prompt.
      if (req.headers['x-requested-with'] !== 'userstream-dashboard') res.setHeader('www-authenticate', 'Basic realm="userstream orchestrator", charset="UTF-8"');
      res.end(JSON.stringify({ error: 'unauthorized', message: 'log in or send HTTP Basic credentials' }));
      return;
    }
    redirect(res, `/login?next=${encodeURIComponent(safeNext(path + url.search))}`);
  };
}
