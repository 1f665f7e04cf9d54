import { describeError, retry, UserstreamError } from '@userstream/core';
import { ProduceError, type KafkaAdmin, type KafkaProducer, type OutgoingMessage, type PartitionOffsets } from '@userstream/kafka';
import type { UserRecordV2 } from '@userstream/user-schema';
import type { RunSink, SendOutcome } from './ingest-run';
import type { RunOffsets } from '@userstream/ingest-contract';

/** Options of {@link KafkaRunSink}. */
export interface KafkaRunSinkOptions {
  topic: string;
  producer: KafkaProducer;
  admin: KafkaAdmin;
  /** Makes sure the topic exists; called once by `open`. */
  ensureTopic: () => Promise<void>;
  /** Builds the run's serializer (key = user id, encoded value, userstream headers with the run id). */
  serializer: () => Promise<(record: UserRecordV2) => OutgoingMessage>;
}

/**
 * The Kafka side of a run: ensures the topic, serializes records with the
 * run's encoding and headers, sends them with the shared idempotent producer
 * (acks=all) and reports how many the broker acknowledged.
 *
 * Offsets: the producer does not report the offsets it was given, so the
 * sink reads the topic's end offsets before the first send and after the
 * last acknowledgement. The range per partition holds every record of the
 * run, and only them when the run was the topic's only writer meanwhile.
 */
export class KafkaRunSink implements RunSink {
  private serialize?: (record: UserRecordV2) => OutgoingMessage;
  private before?: PartitionOffsets[];
  private beforeError?: unknown;
  private acknowledged = 0;
  private unavailable = false;

  constructor(private readonly options: KafkaRunSinkOptions) {}

  async open(): Promise<void> {
    await this.options.ensureTopic();
    this.serialize = await this.options.serializer();
    // Offsets are for information: not knowing them is reported at the end, it does not stop the run.
    try {
      this.before = await this.endOffsets();
    } catch (error) {
      this.beforeError = error;
    }
  }

  /**
   * The topic's end offsets. Right after a topic is created its leaders may
   * not be known everywhere yet (NOT_LEADER_FOR_PARTITION, retriable), so
   * retriable failures are tried again for a few seconds.
   */
  private endOffsets(): Promise<PartitionOffsets[]> {
    return retry(() => this.options.admin.topicEndOffsets(this.options.topic), { maxAttempts: 6, initialDelayMs: 100, maxDelayMs: 2000 });
  }

  /**
   * Encodes `records` at once and sends them. The records themselves are not
   * kept while the send waits for Kafka: only their encoded messages are.
   */
  send(records: readonly UserRecordV2[]): Promise<SendOutcome> {
    const serialize = this.serialize;
    if (!serialize) return Promise.resolve({ acknowledged: 0, error: new UserstreamError('sink used before open()', { code: 'SINK_NOT_OPEN' }) });
    const messages: OutgoingMessage[] = [];
    let encodeError: UserstreamError | undefined;
    for (const record of records) {
      try {
        messages.push(serialize(record));
      } catch (error) {
        encodeError ??= new UserstreamError(`encoding user ${record.id}: ${describeError(error)}`, { code: 'RECORD_UNENCODABLE', cause: error });
      }
    }
    return this.deliver(messages, encodeError);
  }

  private async deliver(messages: OutgoingMessage[], encodeError: UserstreamError | undefined): Promise<SendOutcome> {
    try {
      const report = await this.options.producer.sendMessages(this.options.topic, messages);
      this.acknowledged += report.acknowledged;
      return { acknowledged: report.acknowledged, ...(encodeError ? { error: encodeError } : {}) };
    } catch (error) {
      const acknowledged = error instanceof ProduceError ? error.report.acknowledged : 0;
      if (error instanceof ProduceError && error.report.failures.some((f) => f.error.code === 'KAFKA_UNAVAILABLE')) this.unavailable = true;
      this.acknowledged += acknowledged;
      return { acknowledged, error: error instanceof Error ? error : new Error(describeError(error)) };
    }
  }

  /** Set while the producer waits for Kafka (a request unanswered for seconds, being retried). */
  waiting(): { since: number; reason: string } | undefined {
    return this.options.producer.waiting();
  }

  async close(): Promise<RunOffsets | undefined> {
    if (this.acknowledged === 0) return undefined;
    // Kafka stayed away past the outage bound: asking it for offsets now would only wait again.
    if (this.unavailable) throw new UserstreamError('Kafka was unreachable at the end of the run', { code: 'OFFSETS_UNKNOWN' });
    if (!this.before)
      throw new UserstreamError(`the end offsets before the first send are unknown: ${describeError(this.beforeError)}`, { code: 'OFFSETS_UNKNOWN' });
    const after = await this.endOffsets();
    const start = new Map(this.before.map((p) => [p.partition, p.high]));
    const partitions = after.map((p) => ({ partition: p.partition, first: start.get(p.partition) ?? 0, last: p.high - 1 })).filter((p) => p.last >= p.first);
    return { topic: this.options.topic, partitions };
  }
}
