import { describeError, isRetriable, UserstreamError, type Logger } from '@userstream/core';
import {
  KafkaClient,
  createSchemaRegistry,
  userRecordSerializer,
  type CompressionName,
  type KafkaAdmin,
  type KafkaProducer,
  type SchemaRegistryClient,
} from '@userstream/kafka';
import { RandomUserClient } from '@userstream/randomuser-client';
import { UserCodec, userSchemaV2Json } from '@userstream/user-schema';
import type { ResolvedIngestConfig } from '../app.config';
import { IngestRun } from './ingest-run';
import { KafkaRunSink } from './kafka-run.sink';
import type { RunDeployment, RunParams } from '@userstream/ingest-contract';

/**
 * The long-lived clients of the ingest process (one randomuser client, one
 * Kafka client with one idempotent producer and an admin client, an optional
 * Schema Registry client) and the factory of runs that share them. Used by
 * the HTTP app and by the one-shot command line alike.
 */
export class RunFactory {
  readonly api: RandomUserClient;
  readonly kafka: KafkaClient;
  readonly producer: KafkaProducer;
  readonly admin: KafkaAdmin;
  readonly registry?: SchemaRegistryClient;
  private readonly codec = new UserCodec();
  private topicReady?: Promise<void>;
  private schemaId?: Promise<number>;

  constructor(
    private readonly config: ResolvedIngestConfig,
    private readonly logger: Logger,
  ) {
    this.api = new RandomUserClient({
      baseUrl: config.randomUserBaseUrl,
      timeoutMs: config.randomUserTimeoutMs,
      retry: {
        maxAttempts: config.randomUserMaxAttempts,
        initialDelayMs: config.randomUserRetryInitialDelayMs,
        maxDelayMs: config.randomUserRetryMaxDelayMs,
        deadlineMs: config.randomUserRetryDeadlineMs,
      },
      ...(config.randomUserRateLimit === undefined ? {} : { rateLimit: { requestsPerSecond: config.randomUserRateLimit } }),
      logger,
      userAgent: 'userstream-ingest/0.1',
    });
    this.kafka = new KafkaClient({
      brokers: config.kafkaBrokers,
      clientId: config.kafkaClientId,
      ...config.kafkaSecurity,
      logger,
    });
    this.producer = this.kafka.producer({
      batchSize: config.produceBatchSize,
      maxInFlightSends: config.produceInFlight,
      compression: config.kafkaCompression as CompressionName,
      outageTimeoutMs: config.kafkaOutageTimeoutMs,
    });
    this.admin = this.kafka.admin();
    if (config.schemaRegistryUrl !== undefined)
      this.registry = createSchemaRegistry({
        host: config.schemaRegistryUrl,
        clientId: config.kafkaClientId,
        logger,
        ...(config.schemaRegistryAuth ? { auth: config.schemaRegistryAuth } : {}),
      });
  }

  /** The defaults a run's parameters are resolved with. */
  get defaults(): RunDeployment {
    return { encoding: this.config.encoding, pageSize: this.config.pageSize, schemaRegistry: this.registry !== undefined };
  }

  /** The topic runs produce to. */
  get topic(): string {
    return this.config.topic;
  }

  /** A new run (not started) with its own sink on the shared producer. */
  createRun(id: string, params: RunParams): IngestRun {
    const sink = new KafkaRunSink({
      topic: this.config.topic,
      producer: this.producer,
      admin: this.admin,
      ensureTopic: () => this.ensureTopic(),
      serializer: async () =>
        userRecordSerializer({
          codec: this.codec,
          encoding: params.encoding,
          runId: id,
          ...(params.encoding === 'confluent' ? { schemaId: await this.registeredSchemaId() } : {}),
        }),
    });
    return new IngestRun({
      id,
      params,
      source: this.api,
      sink,
      fetchConcurrency: this.config.fetchConcurrency,
      logger: this.logger.child({ component: 'ingest-run' }),
    });
  }

  /** Resolves when a Kafka broker answers a metadata request (the readiness check). */
  async checkKafka(): Promise<void> {
    await this.admin.ping();
  }

  private ensureTopic(): Promise<void> {
    this.topicReady ??= this.admin
      .ensureTopic(this.config.topic, { partitions: this.config.topicPartitions, replicationFactor: this.config.topicReplicationFactor })
      .then(() => undefined)
      .catch((error: unknown) => {
        this.topicReady = undefined;
        const code = error instanceof UserstreamError ? error.code : 'KAFKA_ADMIN_FAILED';
        throw new UserstreamError(`preparing topic ${this.config.topic}: ${describeError(error)}`, { code, retriable: isRetriable(error), cause: error });
      });
    return this.topicReady;
  }

  private registeredSchemaId(): Promise<number> {
    const registry = this.registry;
    if (!registry) return Promise.reject(new Error('the confluent encoding needs SCHEMA_REGISTRY_URL'));
    this.schemaId ??= registry.register(`${this.config.topic}-value`, userSchemaV2Json).catch((error: unknown) => {
      this.schemaId = undefined;
      throw error;
    });
    return this.schemaId;
  }

  /**
   * Flushes the producer (at most `timeoutMs`), then disconnects every
   * client. Runs should be over (or cancelled) before.
   */
  async close(timeoutMs: number): Promise<void> {
    const results = await Promise.allSettled([this.producer.close({ timeoutMs }), this.admin.close()]);
    this.api.close();
    this.registry?.close();
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }
}
