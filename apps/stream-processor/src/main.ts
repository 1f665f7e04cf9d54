import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createLogger, createOpsHandler, handleShutdown, HealthChecks, nestLoggerAdapter, redactConfig } from '@userstream/core';
import { AppModule } from './app.module';
import { loadStreamProcessorConfig, streamProcessorConfigSpec } from './app.config';
import { StreamProcessor } from './processor/stream-processor';
import { registerProcessorMetrics } from './processor/processor.metrics';

async function main(): Promise<void> {
  const config = loadStreamProcessorConfig(process.env);
  const logger = createLogger({ name: 'stream-processor', level: config.logLevel, pretty: config.logPretty });
  logger.info({ config: redactConfig(streamProcessorConfigSpec, config) }, 'starting');

  const processor = new StreamProcessor(config, logger);
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  registerProcessorMetrics(registry, processor);
  const health = new HealthChecks()
    .register('kafka', () => processor.checkKafka())
    .register('cassandra', () => processor.checkCassandra());

  const app = await NestFactory.create(AppModule, { logger: nestLoggerAdapter(logger) });
  app.use(createOpsHandler({ health, metrics: registry, info: { app: 'stream-processor' } }));
  await app.listen(config.port, config.host);
  logger.info({ url: `http://${config.host}:${config.port}` }, 'stream-processor listening');

  // Runs in the background: a dependency that is down is retried until it answers.
  void processor.start();
  handleShutdown(
    {
      close: async () => {
        await processor.stop();
        await app.close();
      },
    },
    { logger, timeoutMs: config.shutdownTimeoutMs },
  );
}

main().catch((error: unknown) => {
  // Configuration and start-up errors end the process with a plain message naming what was wrong.
  process.stderr.write(`stream-processor failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
