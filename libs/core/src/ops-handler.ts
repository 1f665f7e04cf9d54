import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HealthChecks } from './health';

/** The part of a prom-client `Registry` the handler needs. */
export interface MetricsSource {
  contentType: string;
  metrics(): Promise<string>;
}

/** What {@link createOpsHandler} serves. */
export interface OpsHandlerOptions {
  health: HealthChecks;
  metrics?: MetricsSource;
  /** Extra fields for `/health/live`, e.g. the app name and version. */
  info?: Record<string, unknown>;
}

function send(res: ServerResponse, status: number, contentType: string, body: string): void {
  res.statusCode = status;
  res.setHeader('content-type', contentType);
  res.setHeader('cache-control', 'no-store');
  res.end(body);
}

/**
 * A connect-style middleware (works with Express, NestJS's `app.use` and a
 * bare `http.Server`) serving the operations surface every app shares:
 * `GET /health/live` (the process answers), `GET /health/ready` (every
 * registered check passes; 503 otherwise) and `GET /metrics` (Prometheus
 * text). Other requests go to `next`.
 */
export function createOpsHandler(options: OpsHandlerOptions) {
  const started = Date.now();
  return (req: IncomingMessage, res: ServerResponse, next?: () => void): void => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return next?.();
    if (path === '/health/live') {
      send(res, 200, 'application/json', JSON.stringify({ status: 'ok', uptimeSeconds: Math.round((Date.now() - started) / 1000), ...options.info }));
      return;
    }
    if (path === '/health/ready') {
      options.health.run().then(
        (report) => send(res, report.status === 'ok' ? 200 : 503, 'application/json', JSON.stringify(report)),
        (error: unknown) => send(res, 503, 'application/json', JSON.stringify({ status: 'error', error: String(error) })),
      );
      return;
    }
    if (path === '/metrics' && options.metrics) {
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
