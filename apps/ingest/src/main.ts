import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createLogger, createOpsHandler, handleShutdown, HealthChecks, nestLoggerAdapter, redactConfig } from '@userstream/core';
import { AppModule } from './app.module';
import { ingestConfigSpec, loadIngestConfig } from './app.config';
import { IngestMetrics } from './metrics/ingest.metrics';
import { RunFactory } from './runs/run.factory';
import { RunsService } from './runs/runs.service';

async function main(): Promise<void> {
  const config = loadIngestConfig(process.env);
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
  app.use(createOpsHandler({ health, metrics: registry, info: { app: 'ingest' } }));
  await app.listen(config.port, config.host);
  logger.info({ url: `http://${config.host}:${config.port}`, topic: config.topic, api: config.randomUserBaseUrl }, 'ingest listening');

  handleShutdown(
    {
      close: async () => {
        // Stop taking runs, cancel the active ones (each flushes what it sent), then let go of the clients.
        await runs.shutdown();
        await app.close();
        await factory.close(Math.max(1000, Math.floor(config.shutdownTimeoutMs / 2)));
      },
    },
    { logger, timeoutMs: config.shutdownTimeoutMs },
  );
}

main().catch((error: unknown) => {
  // Configuration and start-up errors end the process with a plain message naming what was wrong.
  process.stderr.write(`ingest failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
