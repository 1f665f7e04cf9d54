import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { field } from './config';
import { ConfigError } from './errors';
import type { HealthChecks } from './health';
import { silentLogger, type Logger } from './logger';

/** The part of a prom-client `Registry` the handler needs. */
export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

/**
 * Bearer tokens guarding an app. With them, every request but
 * `GET /health/live` needs `Authorization: Bearer <token>`.
 */
export interface OpsAccessOptions {
  /** Opens every route (the one the orchestrator sends). */
  serviceToken: string;
  /** Opens only `/health/ready` and `/metrics` (for scrapers). */
  metricsToken?: string;
  /** Refusals are logged here (method, path, peer and why; never a token). */
  logger?: Logger;
}

/** What {@link createOpsHandler} serves. */
export interface OpsHandlerOptions {
  health: HealthChecks;
  metrics?: MetricsSource;
  /** Extra fields for `/health/live`, e.g. the app name and version. */
  info?: Record<string, unknown>;
  /** Require bearer tokens (see {@link OpsAccessOptions}). Unset: every route is open. */
  access?: OpsAccessOptions;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  res.setHeader('cache-control', 'no-store');
  res.setHeader('x-content-type-options', 'nosniff');
  res.end(body);
}

const digest = (text: string) => createHash('sha256').update(text, 'utf8').digest();

/**
 * Whether `given` equals one of `accepted`, in time independent of where the
 * strings differ (both sides are hashed to the same length first, and every
 * candidate is compared).
 *
 * @example
 * ```ts
 * tokenMatches(bearerToken(req.headers.authorization), [serviceToken]);
 * ```
 */
export function tokenMatches(given: string | undefined, accepted: ReadonlyArray<string | undefined>): boolean {
  if (given === undefined) return false;
  const candidate = digest(given);
  let ok = false;
  for (const token of accepted) {
    if (token === undefined || token === '') continue;
    if (timingSafeEqual(candidate, digest(token))) ok = true;
  }
  return ok;
}

/** The token of an `Authorization: Bearer <token>` header; undefined when absent or another scheme. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(header ?? '');
  return match ? match[1] : undefined;
}

type Refusal = 'no credentials' | 'not a bearer token' | 'wrong token';

function refusalOf(header: string | undefined): Refusal {
  if (header === undefined || header.trim() === '') return 'no credentials';
  return bearerToken(header) === undefined ? 'not a bearer token' : 'wrong token';
}

/**
 * A connect-style middleware (works with Express, NestJS's `app.use` and a
 * bare `http.Server`) serving the operations surface every app shares:
 * `GET /health/live` (the process answers), `GET /health/ready` (every
 * registered check passes; 503 otherwise) and `GET /metrics` (Prometheus
 * text). Other requests go to `next`.
 *
 * With `access`, it is also the app's front door: `/health/ready` and
 * `/metrics` need the service or the metrics token, and every other request
 * needs the service token before it reaches `next`; anything else gets 401
 * JSON with a `Bearer` challenge, and the refusal is logged without the token.
 */
export function createOpsHandler(options: OpsHandlerOptions) {
  const started = Date.now();
  const access = options.access;
  const logger = access?.logger ?? silentLogger;
  const allowed = (req: IncomingMessage, tokens: Array<string | undefined>): boolean => {
    if (!access) return true;
    const header = req.headers.authorization;
    if (tokenMatches(bearerToken(header), tokens)) return true;
    logger.warn(
      { method: req.method, path: (req.url ?? '').split('?')[0].slice(0, 200), remote: req.socket?.remoteAddress, reason: refusalOf(header) },
      'request refused',
    );
    return false;
  };
  const refuse = (res: ServerResponse) => {
    res.setHeader('www-authenticate', 'Bearer realm="userstream"');
    send(res, 401, 'application/json', JSON.stringify({ error: 'unauthorized', message: 'send Authorization: Bearer <token>' }));
  };
  return (req: IncomingMessage, res: ServerResponse, next?: () => void): void => {
    const path = (req.url ?? '').split('?')[0];
    const read = req.method === 'GET' || req.method === 'HEAD';
    if (read && path === '/health/live') {
      send(res, 200, 'application/json', JSON.stringify({ status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000), ...options.info }));
      return;
    }
    const ops = read && (path === '/health/ready' || (path === '/metrics' && options.metrics !== undefined));
    if (!allowed(req, ops ? [access?.serviceToken, access?.metricsToken] : [access?.serviceToken])) {
      refuse(res);
      return;
    }
    if (ops && path === '/health/ready') {
      options.health.run().then(
        (report) => send(res, report.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(report)),
        (error: unknown) => send(res, 503, 'application/json', JSON.stringify({ status: 'error', error: String(error) })),
      );
      return;
    }
    if (ops && options.metrics) {
      const metrics = options.metrics;
      metrics.metrics().then(
        (text) => send(res, 200, metrics.contentType, text),
        (error: unknown) => send(res, 500, 'text/plain', String(error)),
      );
      return;
    }
    next?.();
  };
}

/** Shortest accepted service or metrics token. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * The settings of the bearer tokens between the apps, shared by every app so
 * the variables mean the same everywhere: `NODE_ENV`, `SERVICE_TOKEN`,
 * `METRICS_TOKEN` (both also from `<NAME>_FILE`). Resolve them with
 * {@link resolveServiceAccess}.
 */
export const serviceAccessConfigSpec = {
  nodeEnv: field<string>({
    env: 'NODE_ENV',
    kind: 'string',
    default: 'development',
    description: 'with `production`, every app refuses to start without SERVICE_TOKEN, and the orchestrator also without ORCHESTRATOR_PASSWORD',
  }),
  serviceToken: field<string>({
    env: 'SERVICE_TOKEN',
    kind: 'string',
    secret: true,
    optional: true,
    minLength: MIN_TOKEN_LENGTH,
    description: `bearer token between the apps (at least ${MIN_TOKEN_LENGTH} characters): ingest and the stream-processor require it on every route but /health/live, the orchestrator sends it. Unset in development: ingest and the stream-processor generate one and print it once on stderr; unset in production: the apps refuse to start`,
  }),
  metricsToken: field<string>({
    env: 'METRICS_TOKEN',
    kind: 'string',
    secret: true,
    optional: true,
    minLength: MIN_TOKEN_LENGTH,
    description: `bearer token that opens only /metrics and /health/ready, for Prometheus and probes (at least ${MIN_TOKEN_LENGTH} characters); unset: those need SERVICE_TOKEN (or, at the orchestrator, a login)`,
  }),
};

/** The values {@link resolveServiceAccess} reads. */
export interface ServiceAccessValues {
  nodeEnv: string;
  serviceToken?: string;
  metricsToken?: string;
}

/** The tokens an app runs with. */
export interface ServiceAccess {
  /** Undefined only where the app may run without one (the orchestrator in development). */
  serviceToken?: string;
  metricsToken?: string;
  /** True when `serviceToken` was generated at start (development only; print it once). */
  generated: boolean;
}

/**
 * The tokens from SERVICE_TOKEN and METRICS_TOKEN. `NODE_ENV=production`
 * without SERVICE_TOKEN throws ConfigError naming it. In development, with
 * `generate`, a random token is made (the caller prints it once).
 */
export function resolveServiceAccess(values: ServiceAccessValues, options: { generate: true }): ServiceAccess & { serviceToken: string };
export function resolveServiceAccess(values: ServiceAccessValues, options: { generate: boolean }): ServiceAccess;
export function resolveServiceAccess(values: ServiceAccessValues, options: { generate: boolean }): ServiceAccess {
  const metrics = values.metricsToken ? { metricsToken: values.metricsToken } : {};
  if (values.serviceToken) return { serviceToken: values.serviceToken, ...metrics, generated: false };
  if (values.nodeEnv === 'production') {
    throw new ConfigError('SERVICE_TOKEN: required when NODE_ENV=production (the bearer token between the apps; SERVICE_TOKEN_FILE reads it from a file)', {
      details: { variable: 'SERVICE_TOKEN' },
    });
  }
  if (!options.generate) return { ...metrics, generated: false };
  return { serviceToken: randomBytes(24).toString('base64url'), ...metrics, generated: true };
}
