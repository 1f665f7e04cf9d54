import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { collectDefaultMetrics, Registry } from 'prom-client';
import {
  createLogger,
  createOpsHandler,
  handleShutdown,
  HealthChecks,
  installCrashPolicy,
  nestLoggerAdapter,
  redactConfig,
  resolveServiceAccess,
} from '@userstream/core';
import { AppModule } from './app.module';
import { loadOrchestratorConfig, orchestratorConfigSpec } from './app.config';
import { buildOrchestratorParts } from './app/orchestrator.factory';
import { createAuthMiddleware } from './auth/auth.middleware';
import { resolveCredentials } from './auth/credentials';
import { securityHeaders } from './auth/security-headers';
import { SessionSigner } from './auth/session';
import { sendStatic } from './dashboard/static-files';

async function main(): Promise<void> {
  const config = loadOrchestratorConfig(process.env);
  // Before anything connects: production without a password must not start at all.
  const credentials = resolveCredentials({ user: config.user, password: config.password, nodeEnv: config.nodeEnv });
  // The token ingest and the stream-processor require; production without it does not start either.
  const access = resolveServiceAccess(config, { generate: false });
  const logger = createLogger({ name: 'orchestrator', level: config.logLevel, pretty: config.logPretty });
  logger.info({ config: redactConfig(orchestratorConfigSpec, config) }, 'starting');
  const opened = { close: (): Promise<unknown> => Promise.resolve() };
  // An error nothing caught: log it, close what is open, exit 1. Requests never get here (the auth layer and Nest catch theirs).
  installCrashPolicy({ logger, close: () => opened.close(), timeoutMs: config.shutdownTimeoutMs });
  if (!access.serviceToken)
    logger.warn('SERVICE_TOKEN is not set: ingest and the stream-processor will refuse the orchestrator (set the same SERVICE_TOKEN on all three apps)');
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const parts = await buildOrchestratorParts(config, logger, registry);
  const health = new HealthChecks();
  health.register('cassandra', () => parts.store.ping());

  const app = await NestFactory.create(AppModule.register(parts), { logger: nestLoggerAdapter(logger) });
  opened.close = () => app.close();
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  app.use(securityHeaders());
  // Authentication first: /health/ready and /metrics need a login, HTTP Basic or METRICS_TOKEN; only /health/live is open.
  app.use(
    createAuthMiddleware({
      credentials,
      sessions: new SessionSigner(config.sessionSecret, config.sessionTtlMs),
      secureCookie: config.cookieSecure,
      loginPage: (res) => sendStatic(res, 'login.html'),
      ...(access.metricsToken ? { metricsToken: access.metricsToken } : {}),
      maxFailures: config.loginMaxFailures,
      lockoutMs: config.loginLockoutMs,
      logger,
    }),
  );
  app.use(createOpsHandler({ health, metrics: registry, info: { app: 'orchestrator' } }));
  await app.listen(config.port, config.host);
  handleShutdown(app, { logger, timeoutMs: config.shutdownTimeoutMs });

  const address = app.getHttpServer().address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const url = `http://${config.host}:${port}`;
  logger.info({ url, dashboard: `${url}/`, user: credentials.user }, 'orchestrator listening');
  if (credentials.generated) {
    // Printed once, on stderr only, never into the (shipped, aggregated) JSON log: a development
    // convenience. Production refuses to start without ORCHESTRATOR_PASSWORD.
    logger.warn({ user: credentials.user }, 'ORCHESTRATOR_PASSWORD is not set: generated a password for this process (printed on stderr)');
    process.stderr.write(
      `\norchestrator dashboard: ${url}/\n  user: ${credentials.user}\n  password: ${credentials.password} (generated; set ORCHESTRATOR_PASSWORD to choose one)\n\n`,
    );
  } else {
    process.stderr.write(`orchestrator dashboard: ${url}/ (user ${credentials.user})\n`);
  }
}

main().catch((error: unknown) => {
  // Configuration and start-up errors end the process with a plain message naming what was wrong.
  process.stderr.write(`orchestrator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
