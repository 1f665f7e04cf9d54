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
import { loadStreamProcessorConfig, streamProcessorConfigSpec } from './app.config';
import { StreamProcessor } from './processor/stream-processor';
import { registerProcessorMetrics } from './processor/processor.metrics';

async function main(): Promise<void> {
  const config = loadStreamProcessorConfig(process.env);
  // Before anything connects: production without SERVICE_TOKEN must not start at all.
  const access = resolveServiceAccess(config, { generate: true });
  const logger = createLogger({ name: 'stream-processor', level: config.logLevel, pretty: config.logPretty });
  logger.info({ config: redactConfig(streamProcessorConfigSpec, config) }, 'starting');

  const processor = new StreamProcessor(config, logger);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerProcessorMetrics(registry, processor);
  const health = new HealthChecks().register('kafka', () => processor.checkKafka()).register('cassandra', () => processor.checkCassandra());

  const app = await NestFactory.create(AppModule, { logger: nestLoggerAdapter(logger) });
  app.getHttpAdapter().getInstance().disable('x-powered-by');
  // The front door: every route but /health/live needs the service token (or, for probes and metrics, the metrics token).
  app.use(
    createOpsHandler({
      health,
      metrics: registry,
      info: { app: 'stream-processor' },
      access: { serviceToken: access.serviceToken, metricsToken: access.metricsToken, logger },
    }),
  );
  const close = async () => {
    await processor.stop();
    await app.close();
  };
  // An error nothing caught: log it, stop as cleanly as a SIGTERM would (commit what was written), exit 1.
  installCrashPolicy({ logger, close, timeoutMs: config.shutdownTimeoutMs });
  await app.listen(config.port, config.host);
  logger.info({ url: `http://${config.host}:${config.port}` }, 'stream-processor listening');
  if (access.generated) {
    // Printed once, on stderr only, never into the JSON log: a development convenience.
    logger.warn('SERVICE_TOKEN is not set: generated a token for this process (printed on stderr)');
    process.stderr.write(
      `\nstream-processor: SERVICE_TOKEN is not set; this process requires the generated token\n  Authorization: Bearer ${access.serviceToken}\n\n`,
    );
  }

  // Runs in the background: a dependency that is down is retried until it answers.
  void processor.start();
  handleShutdown({ close }, { logger, timeoutMs: config.shutdownTimeoutMs });
}

main().catch((error: unknown) => {
  // Configuration and start-up errors end the process with a plain message naming what was wrong.
  process.stderr.write(`stream-processor failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
