import type { Registry } from 'prom-client';
import type { Logger } from '@userstream/core';
import type { OrchestratorParts } from '../app.module';
import type { OrchestratorConfig } from '../app.config';
import type { IngestEncoding, RunRequest } from '@userstream/ingest-contract';
import { IngestClient, serviceHeaders } from '../ingest/ingest.client';
import { createIngestStreamJob } from '../jobs/ingest-stream.job';
import { JobCatalog } from '../jobs/job.catalog';
import { parseSchedule } from '../jobs/job.schedule';
import { WebhookNotifier } from '../notify/webhook.notifier';
import { PipelineSettings } from '../pipeline/pipeline.service';
import { KafkaPipelineStats } from '../pipeline/pipeline.stats';
import { TableRowCounter } from '../pipeline/table-row.counter';
import { HistorySettings } from '../history/pipeline-history.service';
import { CassandraConnection } from '../runs/cassandra.connection';
import { CassandraRunStore } from '../runs/run-store.cassandra';
import { RowsWrittenSettings } from '../runs/rows-written.tracker';
import { OrchestratorContext } from './orchestrator.context';
import { OrchestratorMetrics } from './orchestrator.metrics';

/** The reference job's default ingest parameters, from the configuration. */
export function defaultIngestParams(config: OrchestratorConfig): RunRequest {
  return {
    durationSeconds: config.jobDurationSeconds,
    ...(config.jobRecords !== undefined ? { records: config.jobRecords } : {}),
    ...(config.jobRate !== undefined ? { rate: config.jobRate } : {}),
    ...(config.jobEncoding !== undefined ? { encoding: config.jobEncoding as IngestEncoding } : {}),
  };
}

/**
 * Builds the orchestrator's parts from its configuration and connects to
 * Cassandra (creating the history keyspace and tables when missing). Kafka is
 * reached lazily: the orchestrator schedules runs even while Kafka is down.
 */
export async function buildOrchestratorParts(config: OrchestratorConfig, logger: Logger, registry: Registry): Promise<OrchestratorParts> {
  const context = new OrchestratorContext(logger, new OrchestratorMetrics(registry));
  const connection = new CassandraConnection({
    contactPoints: config.cassandraContactPoints,
    localDataCenter: config.cassandraLocalDc,
    ...(config.cassandraUsername !== undefined ? { username: config.cassandraUsername, password: config.cassandraPassword ?? '' } : {}),
    ...(config.cassandraTls ? { ssl: config.cassandraTls } : {}),
    connectTimeoutMs: config.cassandraConnectTimeoutMs,
    logger,
  });
  const store = new CassandraRunStore({ connection, keyspace: config.historyKeyspace, replicationFactor: config.historyReplicationFactor, logger });
  try {
    await store.init();
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw error;
  }
  const ingest = new IngestClient({
    baseUrl: config.ingestUrl,
    timeoutMs: config.httpTimeoutMs,
    ...(config.serviceToken ? { serviceToken: config.serviceToken } : {}),
  });
  const job = createIngestStreamJob({
    ingest,
    schedule: parseSchedule(config.jobSchedule, 'ORCHESTRATOR_JOB_SCHEDULE'),
    params: defaultIngestParams(config),
    retries: config.jobRetries,
    retryDelayMs: config.jobRetryDelayMs,
    exponentialBackoff: config.jobExponentialBackoff,
    maxRetryDelayMs: config.jobMaxRetryDelayMs,
    executionTimeoutMs: config.jobTimeoutMs,
    pausedByDefault: config.jobPaused,
    pollIntervalMs: config.pollIntervalMs,
  });
  const notifier = new WebhookNotifier({
    ...(config.webhookUrl !== undefined ? { url: config.webhookUrl } : {}),
    maxAttempts: config.webhookAttempts,
    initialDelayMs: config.webhookRetryDelayMs,
    timeoutMs: config.webhookTimeoutMs,
    logger,
    onOutcome: (outcome) => context.metrics.webhookTotal.inc({ outcome }),
  });
  const stats = new KafkaPipelineStats({
    brokers: config.kafkaBrokers,
    security: config.kafkaSecurity,
    timeoutMs: Math.min(config.httpTimeoutMs, 3000),
    logger,
  });
  return {
    context,
    catalog: new JobCatalog([job]),
    store,
    notifier,
    stats,
    rowCounter: new TableRowCounter({
      connection,
      keyspace: config.sinkKeyspace,
      table: config.sinkTable,
      timeoutMs: config.rowCountTimeoutMs,
      cacheMs: config.rowCountCacheMs,
      logger,
    }),
    pipeline: new PipelineSettings(
      config.kafkaTopic,
      config.kafkaGroupId,
      config.ingestUrl,
      config.processorUrl,
      Math.min(config.httpTimeoutMs, 2000),
      undefined,
      serviceHeaders(config.serviceToken),
    ),
    rowsWritten: new RowsWrittenSettings(config.kafkaGroupId, config.rowsConfirmWindowMs),
    history: new HistorySettings(config.historyIntervalMs),
    closers: [() => stats.close(), () => store.close(), () => connection.close()],
  };
}
