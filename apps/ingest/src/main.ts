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
import { ingestConfigSpec, loadIngestConfig } from './app.config';
import { IngestMetrics } from './metrics/ingest.metrics';
import { RunFactory } from './runs/run.factory';
import { RunsService } from './runs/runs.service';

async function main(): Promise<void> {
  const config = loadIngestConfig(process.env);
  // Before anything connects: production without SERVICE_TOKEN must not start at all.
  const access = resolveServiceAccess(config, { generate: true });
  const logger = createLogger({ name: 'ingest', level: config.logLevel, pretty: config.logPretty });
  logger.info({ config: redactConfig(ingestConfigSpec, config) }, 'starting');

  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const metrics = new IngestMetrics(registry);
  const factory = new RunFactory(config, logger);
  metrics.observeClient(factory.api);
  const runs = new RunsService(factory, {
    maxActiveRuns: config.maxActiveRuns,
    history: config.runHistory,
    onRunCreated: (run) => metrics.observeRun(run),
    logger,
  });
  const health = new HealthChecks().register('kafka', () => factory.checkKafka());

  const app = await NestFactory.create(AppModule.register(runs), { logger: nestLoggerAdapter(logger) });
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  // The front door: every route but /health/live needs the service token (or, for probes and metrics, the metrics token).
  app.use(
    createOpsHandler({
      health,
      metrics: registry,
      info: { app: 'ingest' },
      access: { serviceToken: access.serviceToken, metricsToken: access.metricsToken, logger },
    }),
  );
  const close = async () => {
    // Stop taking runs, cancel the active ones (each flushes what it sent), then let go of the clients.
    await runs.shutdown();
    await app.close();
    await factory.close(Math.max(1000, Math.floor(config.shutdownTimeoutMs / 2)));
  };
  // An error nothing caught: log it, stop as cleanly as a SIGTERM would, exit 1.
  installCrashPolicy({ logger, close, timeoutMs: config.shutdownTimeoutMs });
  await app.listen(config.port, config.host);
  logger.info({ url: `http://${config.host}:${config.port}`, topic: config.topic, api: config.randomUserBaseUrl }, 'ingest listening');
  if (access.generated) {
    // Printed once, on stderr only, never into the JSON log: a development convenience.
    logger.warn('SERVICE_TOKEN is not set: generated a token for this process (printed on stderr)');
    process.stderr.write(`\ningest: SERVICE_TOKEN is not set; this process requires the generated token\n  Authorization: Bearer ${access.serviceToken}\n\n`);
  }

  handleShutdown({ close }, { logger, timeoutMs: config.shutdownTimeoutMs });
}

main().catch((error: unknown) => {
  // Configuration and start-up errors end the process with a plain message naming what was wrong.
  process.stderr.write(`ingest failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
