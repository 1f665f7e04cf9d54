import { KafkaClient, TopicReader, type KafkaAdmin, type KafkaProducer, type KafkaConnectionOptions } from '@userstream/kafka';
import { componentLogger, describeError, type Logger } from '@userstream/core';

/** Offsets of one partition: `low` is the first retained offset, `high` the next offset to be written. */
export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
}

/** A consumer group's position on one topic. */
export interface GroupPosition {
  partitions: Array<{
    partition: number;
    /** The next offset the group will read; null where it never committed. */
    committed: number | null;
    /** The partition's end offset. */
    end: number;
    /** `end - committed`, or `end - low` where nothing was committed. */
    lag: number;
  }>;
  total: number;
}

/**
 * What the orchestrator reads from Kafka for the dashboard and for "rows
 * written": whether topics exist, their end offsets, and a consumer group's
 * committed offsets and lag. An abstract class so tests (and other
 * transports) can stand in for Kafka.
 */
export abstract class PipelineStats {
  abstract topicExists(topic: string): Promise<boolean>;
  /** Low and high offsets per partition of an existing topic. */
  abstract topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** The group's committed offsets and lag per partition of an existing topic. */
  abstract groupPosition(groupId: string, topic: string): Promise<GroupPosition>;
  abstract close(): Promise<void>;

  /** A reader of records for the topic browser; undefined where this transport cannot read records. */
  topicReader(): TopicReader | undefined {
    return undefined;
  }

  /** A producer for re-driving dead letters (created on first use, closed by close()); undefined where this transport cannot write. */
  producer(): KafkaProducer | undefined {
    return undefined;
  }
}

/** Options for {@link KafkaPipelineStats}. */
export interface KafkaPipelineStatsOptions {
  brokers: string[];
  /** TLS and SASL, as the apps' KAFKA_SSL* and KAFKA_SASL_* settings give them. */
  security?: Pick<KafkaConnectionOptions, 'ssl' | 'sasl' | 'allowPlaintextSasl'>;
  clientId?: string;
  /** Bound on connecting and on each request, in milliseconds. Default 3000. */
  timeoutMs?: number;
  logger?: Logger;
}

/**
 * {@link PipelineStats} through @userstream/kafka's admin client. After a
 * failure the admin client is dropped and a fresh one connects on the next
 * call, so a broker restart heals by itself.
 */
export class KafkaPipelineStats extends PipelineStats {
  private readonly client: KafkaClient;
  private admin?: KafkaAdmin;
  private reader?: TopicReader;
  private writer?: KafkaProducer;
  private readonly logger: Logger;

  constructor(options: KafkaPipelineStatsOptions) {
    super();
    this.logger = componentLogger(options.logger, 'kafka-stats');
    const timeoutMs = options.timeoutMs ?? 3000;
    this.client = new KafkaClient({
      brokers: options.brokers,
      clientId: options.clientId ?? 'userstream-orchestrator',
      ...options.security,
      connectionTimeoutMs: timeoutMs,
      requestTimeoutMs: timeoutMs,
      // The dashboard polls every few seconds: fail fast and let the next poll try again.
      retry: { retries: 1, initialRetryTimeMs: 100, maxRetryTimeMs: 1000 },
      // An outage would log on every poll; the dashboard shows the error instead.
      kafkaLogLevel: 'nothing',
      logger: options.logger,
    });
  }

  topicExists(topic: string): Promise<boolean> {
    return this.call((admin) => admin.topicExists(topic));
  }

  topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    return this.call((admin) => admin.topicEndOffsets(topic));
  }

  async groupPosition(groupId: string, topic: string): Promise<GroupPosition> {
    const lag = await this.call((admin) => admin.consumerGroupLag(groupId, topic));
    return { partitions: lag.partitions.map((p) => ({ partition: p.partition, committed: p.committed, end: p.end, lag: p.lag })), total: lag.total };
  }

  override topicReader(): TopicReader {
    this.reader ??= new TopicReader(this.client, { groupIdPrefix: 'userstream-orchestrator-topic-browser' });
    return this.reader;
  }

  override producer(): KafkaProducer {
    this.writer ??= this.client.producer();
    return this.writer;
  }

  async close(): Promise<void> {
    const writer = this.writer;
    this.writer = undefined;
    await writer?.close().catch(() => undefined);
    await this.dropAdmin();
  }

  private async dropAdmin(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    await admin?.close().catch(() => undefined);
  }

  private async call<T>(operation: (admin: KafkaAdmin) => Promise<T>): Promise<T> {
    this.admin ??= this.client.admin();
    try {
      return await operation(this.admin);
    } catch (error) {
      this.logger.debug({ err: describeError(error) }, 'Kafka request failed; reconnecting on the next one');
      await this.dropAdmin();
      throw error;
    }
  }
}
