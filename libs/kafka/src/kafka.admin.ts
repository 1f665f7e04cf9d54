import type { Admin } from 'kafkajs';
import { ConfigError, retry, type Logger } from '@userstream/core';
import { wrapKafkaError } from './kafka.errors';
import type { KafkaContext } from './kafka.context';

/** Options for {@link KafkaAdmin.ensureTopic}. */
export interface EnsureTopicOptions {
  /** Partition count for a new topic. Default 1. */
  partitions?: number;
  /** Replication factor for a new topic; -1 takes the broker's `default.replication.factor`. Default -1. */
  replicationFactor?: number;
  /** Topic configs for a new topic, e.g. `{ 'retention.ms': '604800000' }`. Not applied to an existing topic. */
  configs?: Record<string, string>;
  /** Add partitions when the topic exists with fewer than `partitions`. Default false (only reported). */
  increasePartitions?: boolean;
}

/** What {@link KafkaAdmin.ensureTopic} found or did. */
export interface EnsureTopicResult {
  topic: string;
  /** True when this call created the topic. */
  created: boolean;
  /** The topic's partition count after the call. */
  partitions: number;
  /** True when this call added partitions to an existing topic. */
  partitionsIncreased: boolean;
  /** Set when the existing topic has fewer partitions than asked for and they were not added. */
  warning?: string;
}

/** Offsets of one partition: `low` is the first offset still stored, `high` the next offset to be written. */
export interface PartitionOffsets {
  partition: number;
  low: number;
  high: number;
}

/** A consumer group's position in one partition. */
export interface PartitionLag {
  partition: number;
  /** The committed offset (next record to read), or null when the group never committed here. */
  committed: number | null;
  /** The partition's end offset (high watermark). */
  end: number;
  /** Records not yet consumed: `end - committed`, or `end - low` when nothing was committed. */
  lag: number;
}

/** A consumer group's lag on one topic. */
export interface GroupLag {
  groupId: string;
  topic: string;
  partitions: PartitionLag[];
  /** Sum of the partitions' lag. */
  total: number;
}

/** A consumer group's state as the coordinator reports it. */
export interface GroupDescription {
  groupId: string;
  /** e.g. `Stable`, `Empty`, `PreparingRebalance`, `Dead`. */
  state: string;
  members: number;
}

function toOffset(value: string): number {
  const n = Number(value);
  return Number.isSafeInteger(n) ? n : Number.NaN;
}

/**
 * Topic and consumer-group administration: idempotent topic creation, end
 * offsets and lag. Connects on first use; call {@link KafkaAdmin.close} when
 * done. Errors are {@link KafkaError}s with code `KAFKA_ADMIN_FAILED`.
 *
 * @example
 * ```ts
 * const admin = kafka.admin();
 * await admin.ensureTopic('users_created', { partitions: 3 });
 * const { total } = await admin.consumerGroupLag('stream-processor', 'users_created');
 * await admin.close();
 * ```
 */
export class KafkaAdmin {
  private readonly admin: Admin;
  private readonly logger: Logger;
  private connecting?: Promise<void>;

  constructor(private readonly client: KafkaContext) {
    this.admin = client.kafka.admin();
    this.logger = client.logger;
  }

  /** Connects now instead of on first use. Throws KafkaError `KAFKA_CONNECT_FAILED`. */
  connect(): Promise<void> {
    if (!this.connecting) {
      this.connecting = this.admin.connect().catch((error: unknown) => {
        this.connecting = undefined;
        throw wrapKafkaError(error, `connecting admin client to ${this.client.options.brokers.join(',')}`, 'KAFKA_CONNECT_FAILED');
      });
    }
    return this.connecting;
  }

  /**
   * Runs one admin request, again after a retriable failure: kafkajs does not
   * retry every admin call itself, and a broker answers NOT_COORDINATOR or
   * COORDINATOR_LOAD_IN_PROGRESS for a while after a group or the broker is
   * new. Every operation here is safe to repeat. Spacing and attempts follow
   * the client's `retry` options.
   */
  private async run<T>(context: string, operation: () => Promise<T>, options: { retry?: boolean } = {}): Promise<T> {
    await this.connect();
    const { retries, initialRetryTimeMs, maxRetryTimeMs } = this.client.options.retry;
    if (options.retry === false) {
      try {
        return await operation();
      } catch (error) {
        throw wrapKafkaError(error, context, 'KAFKA_ADMIN_FAILED');
      }
    }
    return retry(
      async () => {
        try {
          return await operation();
        } catch (error) {
          throw wrapKafkaError(error, context, 'KAFKA_ADMIN_FAILED');
        }
      },
      {
        maxAttempts: retries + 1,
        initialDelayMs: initialRetryTimeMs,
        maxDelayMs: maxRetryTimeMs,
        onRetry: ({ error, attempt, delayMs }) => this.logger.debug({ err: error, attempt, delayMs }, 'admin request failed; retrying'),
      },
    );
  }

  /**
   * Resolves when a broker answers one metadata request now, with no retry:
   * a readiness check, which must answer for the present and never pile up
   * retries while a broker is away. Throws KafkaError `KAFKA_ADMIN_FAILED`
   * (or `KAFKA_CONNECT_FAILED`).
   */
  async ping(): Promise<void> {
    await this.run('asking a broker for metadata', () => this.admin.listTopics(), { retry: false });
  }

  /** True when the topic exists. */
  async topicExists(topic: string): Promise<boolean> {
    const topics = await this.run('listing topics', () => this.admin.listTopics());
    return topics.includes(topic);
  }

  /** The topic's partition count, or undefined when it does not exist. */
  async partitionCount(topic: string): Promise<number | undefined> {
    if (!(await this.topicExists(topic))) return undefined;
    const metadata = await this.run(`reading metadata of topic ${topic}`, () => this.admin.fetchTopicMetadata({ topics: [topic] }));
    return metadata.topics.find((t) => t.name === topic)?.partitions.length;
  }

  /**
   * Creates the topic when missing; an existing topic is not an error. When it
   * exists with fewer partitions than asked, the result carries a `warning`
   * (logged too) unless `increasePartitions` is set, in which case partitions
   * are added (keys then map to other partitions: existing ordering per key is
   * not preserved across the change).
   */
  async ensureTopic(topic: string, options: EnsureTopicOptions = {}): Promise<EnsureTopicResult> {
    const partitions = options.partitions ?? 1;
    const replicationFactor = options.replicationFactor ?? -1;
    if (typeof topic !== 'string' || !/^[a-zA-Z0-9._-]{1,249}$/.test(topic)) {
      throw new ConfigError(`topic name ${JSON.stringify(topic)} is not a legal Kafka topic name (letters, digits, ".", "_", "-"; at most 249)`);
    }
    if (!Number.isInteger(partitions) || partitions < 1) throw new ConfigError(`ensureTopic ${topic}: partitions must be an integer >= 1`);
    if (!Number.isInteger(replicationFactor) || (replicationFactor < 1 && replicationFactor !== -1)) {
      throw new ConfigError(`ensureTopic ${topic}: replicationFactor must be -1 (broker default) or an integer >= 1`);
    }
    let existing = await this.partitionCount(topic);
    let created = false;
    if (existing === undefined) {
      created = await this.run(`creating topic ${topic}`, () =>
        this.admin.createTopics({
          waitForLeaders: true,
          topics: [
            {
              topic,
              numPartitions: partitions,
              replicationFactor,
              configEntries: Object.entries(options.configs ?? {}).map(([name, value]) => ({ name, value })),
            },
          ],
        }),
      );
      // false means someone else created it between our check and our request.
      existing = created ? partitions : await this.partitionCount(topic);
      if (created) this.logger.info({ topic, partitions, replicationFactor }, 'topic created');
    }
    const result: EnsureTopicResult = { topic, created, partitions: existing ?? partitions, partitionsIncreased: false };
    if (existing !== undefined && existing < partitions) {
      if (options.increasePartitions) {
        await this.run(`adding partitions to topic ${topic}`, () => this.admin.createPartitions({ topicPartitions: [{ topic, count: partitions }] }));
        this.logger.warn({ topic, from: existing, to: partitions }, 'topic partitions increased');
        result.partitions = partitions;
        result.partitionsIncreased = true;
      } else {
        result.warning = `topic ${topic} exists with ${existing} partitions, fewer than the ${partitions} asked for; pass increasePartitions to add them`;
        this.logger.warn({ topic, existing, requested: partitions }, 'topic has fewer partitions than requested');
      }
    }
    return result;
  }

  /** Per partition, the first stored offset (`low`) and the end offset (`high`), sorted by partition. */
  async topicEndOffsets(topic: string): Promise<PartitionOffsets[]> {
    const offsets = await this.run(`reading offsets of topic ${topic}`, () => this.admin.fetchTopicOffsets(topic));
    return offsets.map((o) => ({ partition: o.partition, low: toOffset(o.low), high: toOffset(o.high) })).sort((a, b) => a.partition - b.partition);
  }

  /**
   * A consumer group's lag on a topic: per partition the committed offset, the
   * end offset and their difference, and the total.
   */
  async consumerGroupLag(groupId: string, topic: string): Promise<GroupLag> {
    const ends = await this.topicEndOffsets(topic);
    const fetched = await this.run(`reading committed offsets of group ${groupId}`, () => this.admin.fetchOffsets({ groupId, topics: [topic] }));
    const committedByPartition = new Map<number, number>();
    for (const t of fetched) {
      if (t.topic !== topic) continue;
      for (const p of t.partitions) {
        const offset = toOffset(p.offset);
        if (offset >= 0) committedByPartition.set(p.partition, offset);
      }
    }
    const partitions = ends.map(({ partition, low, high }) => {
      const committed = committedByPartition.get(partition) ?? null;
      const lag = Math.max(0, committed === null ? high - low : high - committed);
      return { partition, committed, end: high, lag };
    });
    return { groupId, topic, partitions, total: partitions.reduce((sum, p) => sum + p.lag, 0) };
  }

  /** The group's state and member count (an idle group that everyone left is `Empty` with 0 members). */
  async describeGroup(groupId: string): Promise<GroupDescription> {
    const { groups } = await this.run(`describing group ${groupId}`, () => this.admin.describeGroups([groupId]));
    const group = groups.find((g) => g.groupId === groupId);
    return { groupId, state: group?.state ?? 'Dead', members: group?.members.length ?? 0 };
  }

  /** Deletes a topic (tests, tooling). Returns false when it did not exist. */
  async deleteTopic(topic: string): Promise<boolean> {
    if (!(await this.topicExists(topic))) return false;
    await this.run(`deleting topic ${topic}`, () => this.admin.deleteTopics({ topics: [topic] }));
    return true;
  }

  /** Deletes a consumer group's committed offsets (tests, tooling). The group must have no members. */
  async deleteGroup(groupId: string): Promise<void> {
    await this.run(`deleting group ${groupId}`, () => this.admin.deleteGroups([groupId]).then(() => undefined));
  }

  /** Disconnects. Safe to call more than once. */
  async close(): Promise<void> {
    if (!this.connecting) return;
    this.connecting = undefined;
    await this.admin.disconnect();
  }
}
