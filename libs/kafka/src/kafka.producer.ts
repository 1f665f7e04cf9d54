import { Partitioners, type Producer } from 'kafkajs';
import { finishesWithin, TaskSet, TimeoutError, type UserstreamError, describeError, type Logger } from '@userstream/core';
import type { KafkaContext } from './kafka.context';
import { KafkaError, ProduceError, wrapKafkaError, type SendFailure, type SendReport } from './kafka.errors';
import { reconnectRetry, resolveProducerOptions, type KafkaProducerOptions, type OutgoingMessage, type ResolvedProducerOptions } from './producer.options';
import { Semaphore } from './semaphore.util';
import { TopicPartitions } from './topic.partitions';

/** A request unanswered this long counts as waiting (normal acks take milliseconds). */
const WAITING_AFTER_MS = 3000;

/** Sorted indexes as contiguous `[from, to)` ranges. */
function ranges(indexes: readonly number[]): Array<{ from: number; to: number }> {
  const out: Array<{ from: number; to: number }> = [];
  for (const i of indexes) {
    const last = out[out.length - 1];
    if (last && last.to === i) last.to = i + 1;
    else out.push({ from: i, to: i + 1 });
  }
  return out;
}

function byteLength(value: Buffer | string | null | undefined): number {
  if (value === null || value === undefined) return 0;
  return typeof value === 'string' ? Buffer.byteLength(value) : value.length;
}

function messagesBytes(messages: readonly OutgoingMessage[]): number {
  let bytes = 0;
  for (const m of messages) bytes += byteLength(m.key) + byteLength(m.value);
  return bytes;
}

/** One produce request: records of one partition (or of one whole send), and whose records they are. */
interface QueuedRequest {
  topic: string;
  messages: OutgoingMessage[];
  /** Each send's share: its message indexes (for its report's failure ranges) and bytes. */
  parts: Array<{ indexes: number[]; report: SendReport; bytes: number }>;
  /** Settles (never rejects) once the request is acknowledged or failed. */
  settled: Promise<void>;
}

/**
 * A producer that sends many messages per request with a bounded number of
 * requests in flight, acks=all and (by default) idempotence. `sendMessages`
 * resolves once the broker acknowledged every message, or rejects with a
 * {@link ProduceError} whose `report` says exactly which were not
 * acknowledged; counters `acknowledged` and `failed` add up across calls.
 *
 * @example
 * ```ts
 * const producer = kafka.producer({ batchSize: 500, compression: 'gzip' });
 * const report = await producer.sendMessages('users_created', [{ key: id, value: bytes }]);
 * await producer.close();
 * ```
 */
export class KafkaProducer {
  /** Options with defaults applied. */
  readonly options: Readonly<ResolvedProducerOptions>;
  private producer: Producer;
  /** Producers replaced after a failed send, still finishing their own requests. */
  private readonly retired = new Set<Producer>();
  /** A send failed: the next send starts on a new kafkajs producer (a new producer id). */
  private stale = false;
  private readonly logger: Logger;
  private readonly slots: Semaphore;
  /** Requests queued or in flight. */
  private readonly pending = new TaskSet();
  private readonly partitions: TopicPartitions;
  /** Per partition, the request still waiting for its turn: later sends to that partition join it. */
  private readonly waitingRequests = new Map<string, QueuedRequest>();
  /** Idempotent producers: one request at a time per partition leader, as kafkajs sends them. */
  private readonly partitionLanes = new Map<string, Semaphore>();
  private readonly leaderLanes = new Map<number, Semaphore>();
  /** Start times of the requests in flight. */
  private readonly inFlightSince = new Set<{ since: number }>();
  private connecting?: Promise<void>;
  private closed = false;
  private acknowledgedCount = 0;
  private failedCount = 0;

  constructor(
    private readonly client: KafkaContext,
    options: KafkaProducerOptions = {},
  ) {
    this.options = resolveProducerOptions(options);
    this.logger = client.logger;
    this.slots = new Semaphore(this.options.maxInFlightSends);
    this.partitions = new TopicPartitions(client);
    this.producer = this.createProducer();
  }

  private createProducer(): Producer {
    // Its own kafkajs instance: kafkajs reconnects with the retry budget of the instance, and
    // this one must last the outage window, while admin calls keep failing fast.
    const retry = reconnectRetry(this.options.outageTimeoutMs);
    return this.client.kafkajsWithRetry(retry).producer({
      // The Java-compatible murmur2 partitioner (kafkajs's default since 2.0), named so kafkajs does not warn.
      createPartitioner: Partitioners.DefaultPartitioner,
      idempotent: this.options.idempotent,
      // Requests are retried for about the outage window too, so every send settles. A request
      // that gives up leaves kafkajs's sequence numbers rolled back; a later, different batch
      // could reuse them and be dropped by the broker as a duplicate of one that did land. So
      // after a failed send this producer is replaced (see `stale`): a new producer id, new sequences.
      retry,
      allowAutoTopicCreation: this.options.allowAutoTopicCreation,
      ...(this.options.maxInFlightRequests === undefined ? {} : { maxInFlightRequests: this.options.maxInFlightRequests }),
    });
  }

  /** Moves on to a new kafkajs producer; the old one is disconnected once its requests settled. */
  private async replaceStaleProducer(): Promise<void> {
    if (!this.stale) return;
    this.stale = false;
    const old = this.producer;
    const oldConnecting = this.connecting;
    const oldRequests = this.pending.snapshot();
    this.producer = this.createProducer();
    this.connecting = undefined;
    this.retired.add(old);
    this.logger.info({}, 'replacing the producer after a failed send (new producer id)');
    void Promise.allSettled([oldConnecting, ...oldRequests]).then(async () => {
      if (!this.retired.delete(old)) return;
      await old.disconnect().catch(() => undefined);
    });
  }

  /** Records acknowledged by the broker since this producer was created. */
  get acknowledged(): number {
    return this.acknowledgedCount;
  }

  /** Records that failed to be acknowledged since this producer was created. */
  get failed(): number {
    return this.failedCount;
  }

  /** Produce requests currently in flight. */
  get inFlight(): number {
    return this.slots.inUse;
  }

  /**
   * Set while a produce request has gone unanswered for more than 3 s:
   * since when, and why (kafkajs's last connection error, when there is one).
   * The request is still being retried; it fails only after `outageTimeoutMs`.
   */
  waiting(): { since: number; reason: string } | undefined {
    let oldest: number | undefined;
    for (const entry of this.inFlightSince) if (oldest === undefined || entry.since < oldest) oldest = entry.since;
    if (oldest === undefined || Date.now() - oldest < WAITING_AFTER_MS) return undefined;
    const error = this.client.recentConnectionError(Date.now() - oldest);
    return { since: oldest, reason: error ? error.message : `no acknowledgement for ${Math.round((Date.now() - oldest) / 1000)} s` };
  }

  /** Connects now instead of on the first send. Throws KafkaError `KAFKA_CONNECT_FAILED` (retriable). */
  connect(): Promise<void> {
    if (this.closed) return Promise.reject(this.closedError());
    if (!this.connecting) {
      this.connecting = this.producer.connect().catch((error: unknown) => {
        this.connecting = undefined;
        throw wrapKafkaError(error, `connecting producer to ${this.client.options.brokers.join(',')}`, 'KAFKA_CONNECT_FAILED');
      });
    }
    return this.connecting;
  }

  private closedError(): KafkaError {
    return new KafkaError('producer is closed', { code: 'KAFKA_CLOSED', retriable: false });
  }

  /**
   * Sends `messages` to `topic` in requests of `batchSize`, at most
   * `maxInFlightSends` requests at once (shared with concurrent calls).
   * Resolves with the report when every message was acknowledged; rejects with
   * {@link ProduceError} (its `report.failures` give the index ranges that were
   * not) when any request failed after kafkajs's retries.
   */
  async sendMessages(topic: string, messages: readonly OutgoingMessage[]): Promise<SendReport> {
    if (this.closed) throw this.closedError();
    const started = Date.now();
    const report: SendReport = { acknowledged: 0, failed: 0, requests: 0, bytes: 0, durationMs: 0, failures: [] };
    if (messages.length === 0) return report;
    try {
      await this.replaceStaleProducer();
      await this.connect();
    } catch (error) {
      this.failedCount += messages.length;
      report.failed = messages.length;
      report.failures.push({ from: 0, to: messages.length, error: error as KafkaError });
      report.durationMs = Date.now() - started;
      throw new ProduceError(`producing ${messages.length} records to ${topic}: ${describeError(error)}`, report, { cause: error, retriable: true });
    }
    const chunks: Array<Promise<void>> = [];
    for (const { partition, indexes } of await this.partitions.byPartition(topic, messages)) {
      for (let from = 0; from < indexes.length; from += this.options.batchSize) {
        const part = indexes.slice(from, from + this.options.batchSize);
        const chunk = part.map((i) => (partition === undefined ? messages[i] : { ...messages[i], partition }));
        chunks.push(this.enqueue(topic, partition, chunk, part, report));
      }
    }
    await Promise.all(chunks);
    report.durationMs = Date.now() - started;
    if (report.failed > 0) {
      report.failures.sort((a, b) => a.from - b.from);
      const first = report.failures[0].error;
      throw new ProduceError(
        `producing to ${topic}: ${report.failed} of ${messages.length} records not acknowledged (${report.failures.length} failed requests; first: ${first.message})`,
        report,
        { cause: first, retriable: report.failures.every((f) => f.error.retriable) },
      );
    }
    return report;
  }

  /**
   * Queues `messages` (all for one partition when `partition` is set) and resolves once the
   * request carrying them has settled; never rejects (the outcome goes to `report`). kafkajs
   * has no linger, so this is where batching under load happens: while a partition's request
   * waits for its turn, later sends to that partition join it (up to `batchSize`) instead of
   * queueing one small request each. Nothing waits for a batch to fill: a request goes as soon
   * as it may.
   */
  private enqueue(topic: string, partition: number | undefined, messages: OutgoingMessage[], indexes: number[], report: SendReport): Promise<void> {
    const key = partition === undefined ? undefined : `${topic}\u0000${partition}`;
    const bytes = messagesBytes(messages);
    const waiting = key === undefined ? undefined : this.waitingRequests.get(key);
    if (waiting && waiting.messages.length + messages.length <= this.options.batchSize) {
      for (const m of messages) waiting.messages.push(m);
      waiting.parts.push({ indexes, report, bytes });
      return waiting.settled;
    }
    const request: QueuedRequest = { topic, messages: [...messages], parts: [{ indexes, report, bytes }], settled: Promise.resolve() };
    if (key !== undefined) this.waitingRequests.set(key, request);
    // Tracked from before its turn comes, so flush() and close() also wait for queued requests.
    const task = this.sendRequest(request, key, this.laneOf(topic, partition));
    request.settled = this.pending.track(task);
    return request.settled;
  }

  /**
   * The lane of an idempotent producer's partition: kafkajs sends an idempotent producer's
   * requests one at a time per broker, so a request waits for its leader's lane here, where it
   * still takes later records, rather than at kafkajs's lock. The leader is the one first seen
   * (a moved leader only costs batching, never order: one partition always keeps one lane).
   */
  private laneOf(topic: string, partition: number | undefined): Semaphore | undefined {
    if (!this.options.idempotent || partition === undefined) return undefined;
    const key = `${topic}\u0000${partition}`;
    let lane = this.partitionLanes.get(key);
    if (!lane) {
      const leader = this.partitions.leaderOf(topic, partition);
      lane = (leader === undefined ? undefined : this.leaderLanes.get(leader)) ?? new Semaphore(1);
      if (leader !== undefined) this.leaderLanes.set(leader, lane);
      this.partitionLanes.set(key, lane);
    }
    return lane;
  }

  private async sendRequest(request: QueuedRequest, key: string | undefined, lane: Semaphore | undefined): Promise<void> {
    const releaseLane = lane ? await lane.acquire() : undefined;
    const release = await this.slots.acquire();
    // Its turn has come: from here on it takes no more records.
    if (key !== undefined && this.waitingRequests.get(key) === request) this.waitingRequests.delete(key);
    const { topic, messages, parts } = request;
    const producer = this.producer;
    const started = Date.now();
    const entry = { since: started };
    this.inFlightSince.add(entry);
    try {
      await producer.sendBatch({
        acks: -1,
        timeout: this.options.ackTimeoutMs,
        compression: this.options.compression,
        topicMessages: [{ topic, messages }],
      });
      let bytes = 0;
      for (const part of parts) {
        part.report.acknowledged += part.indexes.length;
        part.report.requests++;
        part.report.bytes += part.bytes;
        bytes += part.bytes;
      }
      this.acknowledgedCount += messages.length;
      const durationMs = Date.now() - started;
      this.client.events.emitLazy('kafka.batch_produced', () => ({ topic, records: messages.length, bytes, durationMs }));
    } catch (error) {
      const wrapped = this.wrapSendError(error, topic, messages.length, started);
      if (this.options.idempotent && producer === this.producer) this.stale = true;
      for (const part of parts) {
        for (const range of ranges(part.indexes)) part.report.failures.push({ ...range, error: wrapped as KafkaError } satisfies SendFailure);
        part.report.failed += part.indexes.length;
        part.report.requests++;
      }
      this.failedCount += messages.length;
      this.logger.warn({ topic, records: messages.length, err: wrapped }, 'produce request failed');
      this.client.events.emitLazy('kafka.batch_failed', () => ({
        topic,
        records: messages.length,
        code: wrapped.code,
        retriable: wrapped.retriable,
        message: wrapped.message,
      }));
    } finally {
      this.inFlightSince.delete(entry);
      release();
      releaseLane?.();
    }
  }

  /** A send that failed because the cluster stayed unreachable gets code `KAFKA_UNAVAILABLE` and says so. */
  private wrapSendError(error: unknown, topic: string, records: number, started: number): UserstreamError {
    const context = `producing ${records} records to ${topic}`;
    const waitedMs = Date.now() - started;
    const name = (error as { name?: string } | null)?.name;
    const unreachable = name === 'KafkaJSNumberOfRetriesExceeded' || name === 'KafkaJSNonRetriableError' || name === 'KafkaJSConnectionError';
    const connectionError = this.client.recentConnectionError(waitedMs + 1000);
    if (unreachable && connectionError && waitedMs >= this.options.outageTimeoutMs / 2) {
      return new KafkaError(
        `${context}: Kafka unreachable for ${Math.round(waitedMs / 1000)} s, longer than the outage bound of ${Math.round(this.options.outageTimeoutMs / 1000)} s (last error: ${connectionError.message})`,
        { code: 'KAFKA_UNAVAILABLE', retriable: true, cause: error, details: { topic, waitedMs } },
      );
    }
    return wrapKafkaError(error, context, 'KAFKA_PRODUCE_FAILED', { topic });
  }

  /** Resolves when every request in flight has been acknowledged or has failed. */
  async flush(): Promise<void> {
    await this.pending.drain();
  }

  /**
   * Waits for requests in flight ({@link flush}), then disconnects. Later sends
   * reject with `KAFKA_CLOSED`. With `timeoutMs`, stops waiting after that long
   * (an idempotent send may be waiting out a broker outage), disconnects
   * anyway and throws TimeoutError: the sends still in flight then fail or
   * complete on their own, and are counted when they do.
   */
  async close(options: { timeoutMs?: number } = {}): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let timedOut = false;
    if (options.timeoutMs === undefined) await this.flush();
    else timedOut = !(await finishesWithin(this.flush(), options.timeoutMs));
    const inFlight = this.pending.size;
    await this.disconnect();
    if (timedOut && inFlight > 0) {
      throw new TimeoutError(`closing producer: ${inFlight} sends still in flight after ${options.timeoutMs} ms`, { details: { inFlight } });
    }
  }

  private async disconnect(): Promise<void> {
    const retired = [...this.retired];
    this.retired.clear();
    await Promise.all(retired.map((old) => old.disconnect().catch(() => undefined)));
    if (this.connecting) {
      await this.connecting.catch(() => undefined);
      this.connecting = undefined;
      try {
        await this.producer.disconnect();
      } catch (error) {
        throw wrapKafkaError(error, 'disconnecting producer', 'KAFKA_CONNECT_FAILED');
      }
    }
  }
}
