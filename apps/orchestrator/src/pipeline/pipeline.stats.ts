import { Kafka, logLevel, type Admin } from 'kafkajs';
import { componentLogger, describeError, UserstreamError, type Logger } from '@userstream/core';

/** Offsets of one partition: `low` is the first retained offset, `high` the next offset to be written. */
export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
}

/**
 * What the orchestrator reads from Kafka for the dashboard and for "rows
 * written": topic end offsets and a consumer group's committed offsets.
 *
 * Implemented with kafkajs's admin client for now; meant to move onto
 * @userstream/kafka's admin helpers once that library offers them, without
 * touching the callers.
 */
export abstract class PipelineStats {
  /** Names of the topics that exist. */
  abstract topics(): Promise<Set<string>>;
  /** Low and high offsets per partition of an existing topic. */
  abstract topicOffsets(topic: string): Promise<PartitionOffsets[]>;
  /** Committed offset (the next offset the group will read) per partition; -1 where the group committed nothing. */
  abstract committedOffsets(groupId: string, topic: string): Promise<Map<number, number>>;
  abstract close(): Promise<void>;
}

/** Reading offsets from Kafka failed; the cluster may be down or restarting. */
export class KafkaStatsError extends UserstreamError {
  constructor(context: string, cause: unknown) {
    super(`${context}: ${describeError(cause)}`, { code: 'KAFKA_STATS_FAILED', retriable: true, cause });
  }
}

/** Options for {@link KafkaPipelineStats}. */
export interface KafkaPipelineStatsOptions {
  brokers: string[];
  clientId?: string;
  /** Bound on connecting and on each request, in milliseconds. Default 3000. */
  timeoutMs?: number;
  logger?: Logger;
}

/** {@link PipelineStats} through a kafkajs admin client, connected on first use and reconnected after failures. */
export class KafkaPipelineStats extends PipelineStats {
  private readonly kafka: Kafka;
  private admin?: Admin;
  private connecting?: Promise<Admin>;
  private readonly logger: Logger;

  constructor(options: KafkaPipelineStatsOptions) {
    super();
    this.logger = componentLogger(options.logger, 'kafka-stats');
    const timeoutMs = options.timeoutMs ?? 3000;
    this.kafka = new Kafka({
      clientId: options.clientId ?? 'userstream-orchestrator',
      brokers: options.brokers,
      connectionTimeout: timeoutMs,
      requestTimeout: timeoutMs,
      // The dashboard polls every few seconds: fail fast and let the next poll try again.
      retry: { retries: 1, initialRetryTime: 100, maxRetryTime: 1000 },
      logLevel: logLevel.WARN,
      // kafkajs logs connection errors loudly; the dashboard shows them, so keep them at debug.
      logCreator: () => (entry) => this.logger.debug({ namespace: entry.namespace, ...entry.log }, 'kafkajs'),
    });
  }

  async topics(): Promise<Set<string>> {
    return new Set(await this.call('listing topics', (admin) => admin.listTopics()));
  }

  async topicOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await this.call(`reading the offsets of topic ${topic}`, (admin) => admin.fetchTopicOffsets(topic));
    return offsets.map((o) => ({ partition: o.partition, low: Number(o.low), high: Number(o.high) })).sort((a, b) => a.partition - b.partition);
  }

  async committedOffsets(groupId: string, topic: string): Promise<Map<number, number>> {
    const result = await this.call(`reading the offsets group ${groupId} committed on ${topic}`, (admin) => admin.fetchOffsets({ groupId, topics: [topic] }));
    const out = new Map<number, number>();
    for (const entry of result) if (entry.topic === topic) for (const p of entry.partitions) out.set(p.partition, Number(p.offset));
    return out;
  }

  async close(): Promise<void> {
    const admin = this.admin;
    this.admin = undefined;
    this.connecting = undefined;
    if (admin) await admin.disconnect().catch(() => undefined);
  }

  private async call<T>(context: string, fn: (admin: Admin) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.connect());
    } catch (error) {
      // Start from a fresh connection next time: kafkajs may hold stale metadata after a broker restart.
      await this.close();
      throw new KafkaStatsError(context, error);
    }
  }

  private connect(): Promise<Admin> {
    if (this.admin) return Promise.resolve(this.admin);
    this.connecting ??= (async () => {
      const admin = this.kafka.admin();
      try {
        await admin.connect();
      } catch (error) {
        this.connecting = undefined;
        throw error;
      }
      this.admin = admin;
      return admin;
    })();
    return this.connecting;
  }
}
