import {
  ConsumerRunner,
  createSchemaRegistry,
  KafkaClient,
  type KafkaAdmin,
  userRecordDecoder,
  type DecodedUserValue,
  type HandlerBatch,
} from '@userstream/kafka';
import { CassandraSink, type TableKind } from '@userstream/cassandra-sink';
import { writeUserBatch, type ProcessorEvents } from './batch.writer';
import { UserCodec } from '@userstream/user-schema';
import { backoffDelay, describeError, sleep, TypedEmitter, type Logger } from '@userstream/core';
import type { StreamProcessorConfig } from '../app.config';

/** What the processor reports about itself for readiness and the dashboard. */
export interface ProcessorStatus {
  state: 'starting' | 'running' | 'stopping' | 'stopped';
  /** The last start-up problem while it keeps retrying (Cassandra or Kafka not reachable yet). */
  waitingFor?: string;
}

/**
 * Kafka → Cassandra: consumes the users topic in a consumer group, decodes
 * any supported encoding, writes through the Cassandra sink, and dead-letters
 * poison records and rows Cassandra refuses for good. Offsets are committed
 * by the consumer runner only after every earlier record is written or
 * dead-lettered; a retriable write failure (Cassandra down or overloaded)
 * leaves the records undone, so the runner pauses the partition and delivers
 * them again after a backoff.
 */
export class StreamProcessor {
  readonly kafka: KafkaClient;
  readonly sink: CassandraSink;
  readonly events = new TypedEmitter<ProcessorEvents>();
  private runner?: ConsumerRunner<DecodedUserValue>;
  /** For readiness only: a metadata request that proves a broker answers now. */
  private probeAdmin?: KafkaAdmin;
  private readonly codec: UserCodec;
  private readonly logger: Logger;
  private readonly stopController = new AbortController();
  private starting?: Promise<void>;
  private statusValue: ProcessorStatus = { state: 'starting' };

  constructor(
    private readonly config: StreamProcessorConfig,
    logger: Logger,
  ) {
    this.logger = logger.child({ component: 'stream-processor' });
    this.kafka = new KafkaClient({
      brokers: config.kafkaBrokers,
      clientId: config.kafkaClientId,
      ...config.kafkaSecurity,
      logger,
    });
    const registry = config.schemaRegistryUrl
      ? createSchemaRegistry({ host: config.schemaRegistryUrl, ...(config.schemaRegistryAuth ? { auth: config.schemaRegistryAuth } : {}) })
      : undefined;
    this.codec = new UserCodec({
      readerVersion: 2,
      ...(registry ? { resolveSchemaId: (id: number) => registry.getSchema(id) } : {}),
    });
    this.sink = new CassandraSink({
      contactPoints: config.cassandraContactPoints,
      localDataCenter: config.cassandraLocalDc,
      keyspace: config.keyspace,
      tableNames: { users: config.usersTable, reference: config.referenceTable },
      credentials:
        config.cassandraUsername && config.cassandraPassword ? { username: config.cassandraUsername, password: config.cassandraPassword } : undefined,
      ssl: config.cassandraTls,
      consistency: config.consistency as 'LOCAL_QUORUM',
      write: {
        tables: config.tables as TableKind[],
        // The sink bounds each writeBatch call; partitions are written in parallel, so split the instance's
        // budget of records in flight between them. (A partition's pipelined calls together hold at most
        // PROCESSOR_MAX_RECORDS_PER_BATCH records, beyond one fetched batch: under load that is one call.)
        concurrency: Math.max(1, Math.ceil(config.writeConcurrency / config.partitionsConcurrently)),
        batchRows: config.batchRows,
        batchBytes: config.batchBytes,
        ttlSeconds: config.ttlSeconds,
        timestampFromIngestedAt: config.timestampFromIngestedAt,
      },
      logger,
    });
  }

  get status(): ProcessorStatus {
    return this.statusValue;
  }

  /** The consumer runner once it exists (for stats and health). */
  get consumer(): ConsumerRunner<DecodedUserValue> | undefined {
    return this.runner;
  }

  /**
   * Starts in the background: connects to Cassandra (creating the keyspace
   * and tables), then joins the consumer group. Either dependency being down
   * is retried with backoff until it answers or {@link stop} is called.
   */
  start(): Promise<void> {
    this.starting ??= this.startWithRetry();
    // kafkajs restarts its consumer after most failures; when it gives up, start a new runner.
    this.kafka.events.on('kafka.consumer_crashed', (event) => {
      if (event.restart || this.stopController.signal.aborted) return;
      this.logger.error({ err: event.error }, 'consumer crashed without restart, starting a new one');
      this.starting = this.starting?.then(() => this.restart());
    });
    return this.starting;
  }

  private async restart(): Promise<void> {
    const old = this.runner;
    this.runner = undefined;
    await old?.stop().catch((error: unknown) => this.logger.warn({ err: error }, 'stopping the crashed consumer failed'));
    await this.startWithRetry();
  }

  private async startWithRetry(): Promise<void> {
    for (let attempt = 1; !this.stopController.signal.aborted; attempt++) {
      try {
        await this.startOnce();
        this.statusValue = { state: 'running' };
        this.logger.info({ topic: this.config.topic, groupId: this.config.groupId, keyspace: this.config.keyspace }, 'processor running');
        return;
      } catch (error) {
        const delayMs = Math.max(500, backoffDelay(attempt, { initialDelayMs: 1000, maxDelayMs: 15_000 }));
        this.statusValue = { state: 'starting', waitingFor: describeError(error) };
        this.logger.warn({ err: error, attempt, delayMs }, 'processor start failed, retrying');
        await this.runner?.stop().catch(() => undefined);
        this.runner = undefined;
        try {
          await sleep(delayMs, this.stopController.signal);
        } catch {
          return;
        }
      }
    }
  }

  private async startOnce(): Promise<void> {
    await this.sink.connect();
    await this.sink.migrate({ replication: { class: 'SimpleStrategy', replicationFactor: this.config.replicationFactor } });
    const admin = this.kafka.admin();
    try {
      // The topic may not exist yet when the processor starts before the first ingest run.
      await admin.ensureTopic(this.config.topic, { partitions: 4 });
    } finally {
      await admin.close();
    }
    this.runner = new ConsumerRunner<DecodedUserValue>(this.kafka, {
      groupId: this.config.groupId,
      topics: this.config.topic,
      fromBeginning: this.config.fromBeginning,
      partitionsConsumedConcurrently: this.config.partitionsConcurrently,
      maxRecordsPerCall: this.config.maxRecordsPerBatch,
      pipelineDepth: this.config.pipelineDepth,
      // The fetched records live until their partition's batch is written: this bounds the memory they take.
      maxBytesPerPartition: this.config.fetchMaxBytesPerPartition,
      maxBytes: this.config.fetchMaxBytesPerPartition * this.config.partitionsConcurrently,
      maxWaitTimeInMs: this.config.maxWaitMs,
      sessionTimeout: this.config.sessionTimeoutMs,
      heartbeatInterval: Math.min(3000, Math.floor(this.config.sessionTimeoutMs / 4)),
      decode: userRecordDecoder(this.codec),
      handler: (batch) => this.handle(batch),
    });
    await this.runner.start();
  }

  private handle(batch: HandlerBatch<DecodedUserValue>): Promise<void> {
    return writeUserBatch(this.sink, batch, this.events);
  }

  /**
   * Readiness, Kafka side: the consumer runs in its group and a broker answers
   * a metadata request now (a consumer between fetches may not have noticed a
   * broker that went away yet).
   */
  async checkKafka(): Promise<void> {
    if (this.statusValue.state !== 'running' || this.runner?.state !== 'running') {
      throw new Error(this.statusValue.waitingFor ?? `consumer is ${this.runner?.state ?? 'not started'}`);
    }
    this.probeAdmin ??= this.kafka.admin();
    await this.probeAdmin.ping();
  }

  async checkCassandra(): Promise<void> {
    await this.sink.ping({ timeoutMs: 2000 });
  }

  /** Stops fetching, finishes and commits in-flight batches, leaves the group, closes the session. */
  async stop(): Promise<void> {
    this.statusValue = { state: 'stopping' };
    this.stopController.abort();
    await this.starting?.catch(() => undefined);
    await this.runner?.stop();
    await this.probeAdmin?.close();
    await this.sink.close();
    this.statusValue = { state: 'stopped' };
  }
}
