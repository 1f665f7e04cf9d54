import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createLogger, createOpsHandler, handleShutdown, HealthChecks, nestLoggerAdapter } from '@userstream/core';
import { AppModule } from './app.module';
import { loadOrchestratorConfig } from './app.config';
import { buildOrchestratorParts } from './app/orchestrator.factory';
import { createAuthMiddleware } from './auth/auth.middleware';
import { resolveCredentials } from './auth/credentials';
import { SessionSigner } from './auth/session';
import { sendStatic } from './dashboard/static-files';

async function main(): Promise<void> {
  const config = loadOrchestratorConfig(process.env);
  // Before anything connects: production without a password must not start at all.
  const credentials = resolveCredentials({ user: config.user, password: config.password, nodeEnv: config.nodeEnv });
  const logger = createLogger({ name: 'orchestrator', level: config.logLevel, pretty: config.logPretty });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });

  const parts = await buildOrchestratorParts(config, logger, registry);
  const health = new HealthChecks();
  health.register('cassandra', () => parts.store.ping());

  const app = await NestFactory.create(AppModule.register(parts), { logger: nestLoggerAdapter(logger) });
  app.use(createOpsHandler({ health, metrics: registry, info: { app: 'orchestrator' } }));
  app.use(
    createAuthMiddleware({
      credentials,
      sessions: new SessionSigner(config.sessionSecret, config.sessionTtlMs),
      secureCookie: config.cookieSecure,
      loginPage: (res) => sendStatic(res, 'login.html'),
      logger,
    }),
  );
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
    process.stderr.write(`\norchestrator dashboard: ${url}/\n  user: ${credentials.user}\n  password: ${credentials.password} (generated; set ORCHESTRATOR_PASSWORD to choose one)\n\n`);
  } else {
    process.stderr.write(`orchestrator dashboard: ${url}/ (user ${credentials.user})\n`);
  }
}

main().catch((error: unknown) => {
  // Configuration and start-up errors end the process with a plain message naming what was wrong.
  process.stderr.write(`orchestrator failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
