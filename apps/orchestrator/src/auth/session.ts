import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/** The name of the session cookie. */
export const SESSION_COOKIE = 'userstream_session';

/**
 * The cookie's name: with `Secure`, the `__Host-` prefix, which browsers
 * accept only from HTTPS, for the whole host (`Path=/`, no `Domain`), so a
 * sibling subdomain cannot plant or overwrite it.
 */
export function sessionCookieName(secure: boolean): string {
  return secure ? `__Host-${SESSION_COOKIE}` : SESSION_COOKIE;
}

/** A `Cookie` header that cannot be parsed (bad percent-encoding); answered 400. */
export class MalformedCookieError extends Error {
  constructor() {
    super('malformed Cookie header');
    this.name = new.target.name;
  }
}

interface SessionPayload {
  /** User. */
  u: string;
  /** Expiry, epoch milliseconds. */
  e: number;
  /** Random id, so a logout can revoke this one session. */
  n: string;
}

/**
 * Stateless signed session tokens: `base64url(payload).base64url(HMAC-SHA256)`.
 * The key is ORCHESTRATOR_SESSION_SECRET or random per process (sessions
 * then end with the process). Logouts are remembered until the token
 * would have expired anyway.
 */
export class SessionSigner {
  private readonly key: Buffer;
  private readonly revoked = new Map<string, number>();

  constructor(
    secret: string | undefined,
    /** Session lifetime, in milliseconds. */
    readonly ttlMs: number,
  ) {
    this.key = secret ? Buffer.from(secret, 'utf8') : randomBytes(32);
  }

  issue(user: string, now = Date.now()): string {
    const payload: SessionPayload = { u: user, e: now + this.ttlMs, n: randomBytes(12).toString('base64url') };
    const body = Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url');
    return `${body}.${this.sign(body)}`;
  }

  /** The user of a valid, unexpired, not revoked token; undefined otherwise. */
  verify(token: string | undefined, now = Date.now()): string | undefined {
    const payload = this.decode(token);
    if (!payload || payload.e <= now || this.revoked.has(payload.n)) return undefined;
    return payload.u;
  }

  revoke(token: string | undefined, now = Date.now()): void {
    const payload = this.decode(token);
    if (!payload) return;
    this.revoked.set(payload.n, payload.e);
    for (const [nonce, expiry] of this.revoked) if (expiry <= now) this.revoked.delete(nonce);
  }

  private decode(token: string | undefined): SessionPayload | undefined {
    if (!token) return undefined;
    const [body, signature, extra] = token.split('.');
    if (!body || !signature || extra !== undefined) return undefined;
    const expected = Buffer.from(this.sign(body));
    const given = Buffer.from(signature);
    if (expected.length !== given.length || !timingSafeEqual(expected, given)) return undefined;
    try {
      const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as SessionPayload;
      return typeof payload.u === 'string' && typeof payload.e === 'number' && typeof payload.n === 'string' ? payload : undefined;
    } catch {
      return undefined;
    }
  }

  private sign(body: string): string {
    return createHmac('sha256', this.key).update(body).digest('base64url');
  }
}

/** Reads one cookie from a `Cookie` header; throws {@link MalformedCookieError} when its value is not valid percent-encoding. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      throw new MalformedCookieError();
    }
  }
  return undefined;
}
