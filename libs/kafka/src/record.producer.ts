import { ConfigError, UserstreamError, describeError } from '@userstream/core';
import type { KafkaContext } from './kafka.context';
import { ProduceError, type KafkaError, type SendFailure, type SendReport } from './kafka.errors';
import { KafkaProducer } from './kafka.producer';
import type { KafkaProducerOptions, OutgoingMessage } from './producer.options';

/** Header names userstream puts on every record it produces. */
export const USERSTREAM_HEADERS = {
  contentType: 'content-type',
  encoding: 'userstream-encoding',
  schema: 'userstream-schema',
  runId: 'userstream-run-id',
} as const;

/** Options of {@link RecordProducer}. */
export interface RecordProducerOptions<T> extends KafkaProducerOptions {
  topic: string;
  /** Turns a record into a message (key, value bytes, per-record headers). May throw for an invalid record. */
  serialize: (record: T) => OutgoingMessage;
  /** Headers added to every message (per-record headers win), e.g. `{ 'userstream-run-id': runId }`. */
  headers?: Record<string, string>;
}

/**
 * A {@link KafkaProducer} bound to one topic and a `serialize` function. A
 * record that fails to serialize is reported in the {@link ProduceError}'s
 * `report.failures` (as a one-record range) and the others are still sent.
 *
 * @example
 * ```ts
 * const users = kafka.recordProducer<User>({ topic: 'users_created', serialize: (u) => ({ key: u.id, value: JSON.stringify(u) }) });
 * const { acknowledged } = await users.send(batch);
 * ```
 */
export class RecordProducer<T> {
  readonly topic: string;
  private readonly producer: KafkaProducer;
  private readonly serialize: (record: T) => OutgoingMessage;
  private readonly headers: Record<string, string>;
  private serializeFailed = 0;

  constructor(client: KafkaContext, options: RecordProducerOptions<T>) {
    const { topic, serialize, headers, ...producerOptions } = options;
    if (typeof topic !== 'string' || topic === '') throw new ConfigError('record producer: topic is required');
    if (typeof serialize !== 'function') throw new ConfigError('record producer: serialize must be a function');
    this.topic = topic;
    this.serialize = serialize;
    this.headers = headers ?? {};
    this.producer = new KafkaProducer(client, producerOptions);
  }

  /** Records acknowledged by the broker since this producer was created. */
  get acknowledged(): number {
    return this.producer.acknowledged;
  }

  /** Records not acknowledged (send failures and records that failed to serialize). */
  get failed(): number {
    return this.producer.failed + this.serializeFailed;
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /**
   * Serializes and sends `records`; resolves when the broker acknowledged all
   * of them, rejects with {@link ProduceError} (partial counts and failed index
   * ranges in `report`) otherwise.
   */
  async send(records: readonly T[]): Promise<SendReport> {
    const messages: OutgoingMessage[] = [];
    const indexes: number[] = [];
    const serializeFailures: SendFailure[] = [];
    records.forEach((record, index) => {
      try {
        const message = this.serialize(record);
        messages.push({ ...message, headers: { ...this.headers, ...(message.headers ?? {}) } });
        indexes.push(index);
      } catch (error) {
        const wrapped =
          error instanceof UserstreamError
            ? error
            : new UserstreamError(`serializing record ${index} for ${this.topic}: ${describeError(error)}`, { code: 'RECORD_INVALID', cause: error });
        serializeFailures.push({ from: index, to: index + 1, error: wrapped as KafkaError });
      }
    });
    this.serializeFailed += serializeFailures.length;
    let report: SendReport;
    try {
      report = await this.producer.sendMessages(this.topic, messages);
    } catch (error) {
      if (!(error instanceof ProduceError)) throw error;
      report = error.report;
    }
    // Map ranges over the serialized messages back to indexes of `records`.
    const failures = [
      ...serializeFailures,
      ...report.failures.flatMap((f) => {
        const out: SendFailure[] = [];
        for (let i = f.from; i < f.to; i++) {
          const index = indexes[i];
          const last = out[out.length - 1];
          if (last && last.to === index && last.error === f.error) last.to = index + 1;
          else out.push({ from: index, to: index + 1, error: f.error });
        }
        return out;
      }),
    ].sort((a, b) => a.from - b.from);
    const full: SendReport = { ...report, failed: report.failed + serializeFailures.length, failures };
    if (full.failed > 0) {
      throw new ProduceError(
        `producing to ${this.topic}: ${full.failed} of ${records.length} records not acknowledged (first: ${failures[0].error.message})`,
        full,
        {
          cause: failures[0].error,
          retriable: failures.every((f) => f.error.retriable),
        },
      );
    }
    return full;
  }

  /** Resolves when every request in flight has settled. */
  flush(): Promise<void> {
    return this.producer.flush();
  }

  /** Flushes (at most `timeoutMs` when given), then disconnects; see {@link KafkaProducer.close}. */
  close(options: { timeoutMs?: number } = {}): Promise<void> {
    return this.producer.close(options);
  }
}
