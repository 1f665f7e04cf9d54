import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { createLogger, createOpsHandler, handleShutdown, HealthChecks, nestLoggerAdapter } from '@userstream/core';
import { AppModule } from './app.module';
import { loadStreamProcessorConfig } from './app.config';

async function main(): Promise<void> {
  const config = loadStreamProcessorConfig(process.env);
  const logger = createLogger({ name: 'stream-processor', level: config.logLevel, pretty: config.logPretty });
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const health = new HealthChecks();

  const app = await NestFactory.create(AppModule, { logger: nestLoggerAdapter(logger) });
  app.use(createOpsHandler({ health, metrics: registry, info: { app: 'stream-processor' } }));
  await app.listen(config.port, config.host);
  handleShutdown(app, { logger, timeoutMs: config.shutdownTimeoutMs });
  logger.info({ url: `http://${config.host}:${config.port}` }, 'stream-processor listening');
}

main().catch((error: unknown) => {
  // Configuration and start-up errors end the process with a plain message naming what was wrong.
  process.stderr.write(`stream-processor failed to start: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
