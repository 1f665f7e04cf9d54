import type { IHeaders } from 'kafkajs';
import { ConfigError, UserstreamError, describeError } from '@userstream/core';
import { KafkaAdmin } from './kafka.admin';
import type { KafkaContext } from './kafka.context';
import { KafkaError, ProduceError } from './kafka.errors';
import type { DeadLetterStage } from './kafka.events';
import { KafkaProducer } from './kafka.producer';
import type { OutgoingMessage } from './producer.options';

/** Header names on every dead-lettered record. */
export const DEAD_LETTER_HEADERS = {
  errorCode: 'dlq-error-code',
  errorMessage: 'dlq-error-message',
  originalTopic: 'dlq-original-topic',
  originalPartition: 'dlq-original-partition',
  originalOffset: 'dlq-original-offset',
  time: 'dlq-time',
  stage: 'dlq-stage',
} as const;

/** The stable code of any error: `code` of a UserstreamError, else its `code` property, else `UNKNOWN`. */
export function errorCode(error: unknown): string {
  if (error instanceof UserstreamError) return error.code;
  const code = (error as { code?: unknown } | null | undefined)?.code;
  return typeof code === 'string' || typeof code === 'number' ? String(code) : 'UNKNOWN';
}

/** A record to dead-letter: its original bytes and where it came from, and why. */
export interface DeadLetterEntry {
  topic: string;
  partition: number;
  offset: string;
  /** The original key bytes, unchanged. */
  key: Buffer | null;
  /** The original value bytes, unchanged. */
  value: Buffer | null;
  /** The original headers; kept on the dead-letter record. */
  headers?: IHeaders;
  error: unknown;
  stage: DeadLetterStage;
}

/** Options of {@link DeadLetterPublisher}. */
export interface DeadLetterOptions {
  /** The dead-letter topic for a source topic. Default `<topic>.dlq`. */
  topicFor?: (sourceTopic: string) => string;
  /** Create the dead-letter topic on first use when missing. Default true. */
  ensureTopic?: boolean;
  /** Partitions of a dead-letter topic this publisher creates. Default 1. */
  partitions?: number;
  /** Replication factor of a created dead-letter topic; -1 = broker default. Default -1. */
  replicationFactor?: number;
  /** Longest `dlq-error-message` kept, in characters. Default 1 000. */
  maxErrorMessageLength?: number;
}

/**
 * Writes unusable records to a dead-letter topic: the ORIGINAL key and value
 * bytes unchanged, the original headers kept, plus `dlq-*` headers saying
 * where the record came from and why (code, message, stage, time). Produced
 * idempotently with acks=all; `publish` resolves only once the broker
 * acknowledged, so the caller may then count the source offset as done.
 *
 * @example
 * ```ts
 * const dlq = kafka.deadLetterPublisher();
 * await dlq.publish([{ topic, partition, offset, key, value, headers, error, stage: 'decode' }]);
 * ```
 */
export class DeadLetterPublisher {
  private readonly producer: KafkaProducer;
  private readonly admin?: KafkaAdmin;
  private readonly ensured = new Map<string, Promise<void>>();
  private readonly topicFor: (sourceTopic: string) => string;
  private readonly maxMessageLength: number;

  constructor(
    private readonly client: KafkaContext,
    private readonly options: DeadLetterOptions = {},
  ) {
    this.topicFor = options.topicFor ?? ((topic) => `${topic}.dlq`);
    this.maxMessageLength = options.maxErrorMessageLength ?? 1_000;
    if (!Number.isInteger(this.maxMessageLength) || this.maxMessageLength < 1) throw new ConfigError('maxErrorMessageLength must be a positive integer');
    this.producer = new KafkaProducer(client, { idempotent: true, batchSize: 500, maxInFlightSends: 1 });
    if (options.ensureTopic ?? true) this.admin = new KafkaAdmin(client);
  }

  /** The dead-letter topic for `sourceTopic`. */
  deadLetterTopic(sourceTopic: string): string {
    return this.topicFor(sourceTopic);
  }

  /** Creates the dead-letter topic for `sourceTopic` if needed (once per topic while it succeeds). */
  ensureTopicFor(sourceTopic: string): Promise<void> {
    const topic = this.topicFor(sourceTopic);
    if (!this.admin) return Promise.resolve();
    let ensured = this.ensured.get(topic);
    if (!ensured) {
      ensured = this.admin
        .ensureTopic(topic, { partitions: this.options.partitions ?? 1, replicationFactor: this.options.replicationFactor ?? -1 })
        .then(() => undefined);
      ensured.catch(() => this.ensured.delete(topic));
      this.ensured.set(topic, ensured);
    }
    return ensured;
  }

  /** Builds the dead-letter message for an entry (exposed for tests and tools). */
  toMessage(entry: DeadLetterEntry, now = new Date()): OutgoingMessage {
    const code = errorCode(entry.error);
    let message = describeError(entry.error);
    if (message.length > this.maxMessageLength) message = `${message.slice(0, this.maxMessageLength - 1)}…`;
    return {
      key: entry.key,
      value: entry.value,
      headers: {
        ...(entry.headers ?? {}),
        [DEAD_LETTER_HEADERS.errorCode]: code,
        [DEAD_LETTER_HEADERS.errorMessage]: message,
        [DEAD_LETTER_HEADERS.originalTopic]: entry.topic,
        [DEAD_LETTER_HEADERS.originalPartition]: String(entry.partition),
        [DEAD_LETTER_HEADERS.originalOffset]: entry.offset,
        [DEAD_LETTER_HEADERS.time]: now.toISOString(),
        [DEAD_LETTER_HEADERS.stage]: entry.stage,
      },
    };
  }

  /**
   * Publishes `entries` (grouped by dead-letter topic) and resolves once all
   * were acknowledged. Throws a {@link KafkaError} `KAFKA_DEAD_LETTER_FAILED`
   * (retriable when Kafka may recover) if any was not: then none may be
   * counted as done.
   */
  async publish(entries: readonly DeadLetterEntry[]): Promise<void> {
    const byTopic = new Map<string, DeadLetterEntry[]>();
    for (const entry of entries) {
      const list = byTopic.get(entry.topic) ?? [];
      list.push(entry);
      byTopic.set(entry.topic, list);
    }
    for (const [sourceTopic, list] of byTopic) {
      const topic = this.topicFor(sourceTopic);
      try {
        await this.ensureTopicFor(sourceTopic);
        const now = new Date();
        await this.producer.sendMessages(
          topic,
          list.map((entry) => this.toMessage(entry, now)),
        );
      } catch (error) {
        const retriable = error instanceof UserstreamError ? error.retriable : true;
        const report = error instanceof ProduceError ? { acknowledged: error.report.acknowledged, failed: error.report.failed } : {};
        throw new KafkaError(`dead-lettering ${list.length} records from ${sourceTopic} to ${topic}: ${describeError(error)}`, {
          code: 'KAFKA_DEAD_LETTER_FAILED',
          retriable,
          cause: error,
          details: { sourceTopic, deadLetterTopic: topic, ...report },
        });
      }
      for (const entry of list) {
        const code = errorCode(entry.error);
        this.client.events.emitLazy('kafka.record_dead_lettered', () => ({
          topic: entry.topic,
          partition: entry.partition,
          offset: entry.offset,
          code,
          stage: entry.stage,
          deadLetterTopic: topic,
        }));
      }
    }
  }

  /** Waits for sends in flight (at most `timeoutMs` when given), then disconnects. Never throws. */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    await Promise.allSettled([this.producer.close(options), this.admin?.close()]);
  }
}
