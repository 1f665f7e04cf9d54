import { randomUUID } from 'node:crypto';
import type { Consumer, IHeaders } from 'kafkajs';
import { ConfigError, finishesWithin } from '@userstream/core';
import type { KafkaContext } from './kafka.context';
import { KafkaError, wrapKafkaError } from './kafka.errors';

/** Where a {@link TopicReader.read} starts; exactly one of `last`, `fromOffset`, `fromTime`. */
export interface TopicReadRequest {
  topic: string;
  partition: number;
  /** The last N records of the partition. */
  last?: number;
  /** Records from this offset on (clamped to the partition's retained range). */
  fromOffset?: number;
  /** Records from the first one with a timestamp at or after this time (ms since the epoch). */
  fromTime?: number;
  /** Most records returned. Default 50, at most {@link TopicReaderOptions.maxLimit}. */
  limit?: number;
}

/** One record as it is on the topic. */
export interface TopicRecord {
  partition: number;
  offset: number;
  /** The record's timestamp, ms since the epoch. */
  timestamp: number;
  key: Buffer | null;
  value: Buffer | null;
  /** Header values as UTF-8 text (repeated headers: the last one). */
  headers: Record<string, string>;
}

/** The result of a {@link TopicReader.read}. */
export interface TopicReadResult {
  topic: string;
  partition: number;
  /** First retained offset and next offset to be written, when read. */
  low: number;
  high: number;
  /** The offset reading started at. */
  start: number;
  records: TopicRecord[];
  /** False when the deadline passed before every asked-for record arrived. */
  complete: boolean;
}

/** Options of {@link TopicReader}. */
export interface TopicReaderOptions {
  /** Prefix of the throw-away consumer groups the reader uses. Default `userstream-topic-reader`. */
  groupIdPrefix?: string;
  /** Largest `limit` a request may ask for. Default 500. */
  maxLimit?: number;
  /** Bound on one read, connecting included, in milliseconds. Default 15 000. */
  timeoutMs?: number;
}

function headerText(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    const last = Array.isArray(value) ? value[value.length - 1] : value;
    if (last !== undefined) out[name] = Buffer.isBuffer(last) ? last.toString('utf8') : String(last);
  }
  return out;
}

function wholeNumber(value: number | undefined, name: string, min: number): void {
  if (value !== undefined && (!Number.isSafeInteger(value) || value < min))
    throw new ConfigError(`${name} must be an integer of at least ${min} (got ${String(value)})`);
}

/**
 * Reads records of one partition for people and tools (a topic browser): the
 * last N, from an offset, or from a time. It never joins the group of the
 * consumers it looks at: each read uses a consumer group of its own, with a
 * random id, that commits nothing and is deleted afterwards.
 *
 * @example
 * ```ts
 * const reader = new TopicReader(kafka);
 * const { records } = await reader.read({ topic: 'users_created', partition: 0, last: 20 });
 * ```
 */
export class TopicReader {
  private readonly prefix: string;
  private readonly maxLimit: number;
  private readonly timeoutMs: number;

  constructor(
    private readonly client: KafkaContext,
    options: TopicReaderOptions = {},
  ) {
    this.prefix = options.groupIdPrefix ?? 'userstream-topic-reader';
    this.maxLimit = options.maxLimit ?? 500;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    wholeNumber(this.maxLimit, 'maxLimit', 1);
    wholeNumber(this.timeoutMs, 'timeoutMs', 1);
  }

  /**
   * Reads the records `request` names, oldest first.
   *
   * @throws ConfigError for a request that names no or several starts, or bad numbers.
   * @throws KafkaError (code `KAFKA_CONSUMER_FAILED`) for an unknown topic or partition, or when Kafka fails.
   */
  async read(request: TopicReadRequest): Promise<TopicReadResult> {
    const { topic, partition } = request;
    const starts = [request.last, request.fromOffset, request.fromTime].filter((v) => v !== undefined);
    if (starts.length !== 1) throw new ConfigError('name exactly one of last, fromOffset, fromTime');
    if (typeof topic !== 'string' || topic === '') throw new ConfigError('topic is required');
    wholeNumber(partition, 'partition', 0);
    wholeNumber(request.last, 'last', 1);
    wholeNumber(request.fromOffset, 'fromOffset', 0);
    wholeNumber(request.fromTime, 'fromTime', 0);
    const limit = Math.min(request.limit ?? request.last ?? 50, this.maxLimit);
    wholeNumber(limit, 'limit', 1);

    const deadline = Date.now() + this.timeoutMs;
    const admin = this.client.kafka.admin();
    const groupId = `${this.prefix}-${randomUUID()}`;
    let consumer: Consumer | undefined;
    try {
      await admin.connect();
      const offsets = await admin.fetchTopicOffsets(topic);
      const here = offsets.find((o) => o.partition === partition);
      if (!here)
        throw new KafkaError(`topic ${topic} has no partition ${partition}`, {
          code: 'KAFKA_CONSUMER_FAILED',
          retriable: false,
          details: { topic, partition },
        });
      const low = Number(here.low);
      const high = Number(here.high);
      let start: number;
      if (request.last !== undefined) start = Math.max(low, high - request.last);
      else if (request.fromOffset !== undefined) start = Math.min(Math.max(low, request.fromOffset), high);
      else {
        const byTime = await admin.fetchTopicOffsetsByTimestamp(topic, request.fromTime);
        const found = Number(byTime.find((o) => o.partition === partition)?.offset ?? -1);
        start = found < 0 ? high : Math.max(low, found);
      }
      const end = Math.min(high, start + limit);
      const result: TopicReadResult = { topic, partition, low, high, start, records: [], complete: true };
      if (start >= end) return result;

      consumer = this.client.kafka.consumer({ groupId, maxWaitTimeInMs: 100, allowAutoTopicCreation: false, retry: { retries: 2 } });
      await consumer.connect();
      await consumer.subscribe({ topic, fromBeginning: false });
      let finish: () => void = () => undefined;
      const done = new Promise<void>((resolve) => (finish = resolve));
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition: p, message }) => {
          if (p !== partition) return;
          const offset = Number(message.offset);
          if (offset >= start && offset < end) {
            result.records.push({
              partition,
              offset,
              timestamp: Number(message.timestamp),
              key: message.key,
              value: message.value,
              headers: headerText(message.headers),
            });
          }
          if (offset >= end - 1) finish();
        },
      });
      consumer.seek({ topic, partition, offset: String(start) });
      const timedOut = !(await finishesWithin(done, Math.max(0, deadline - Date.now())));
      result.complete = !timedOut;
      result.records.sort((a, b) => a.offset - b.offset);
      return result;
    } catch (error) {
      if (error instanceof KafkaError || error instanceof ConfigError) throw error;
      throw wrapKafkaError(error, `reading ${topic}/${partition}`, 'KAFKA_CONSUMER_FAILED');
    } finally {
      await consumer?.disconnect().catch(() => undefined);
      if (consumer) await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  }
}
