import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { isRetriable, retry, UserstreamError, type Logger } from '@userstream/core';
import type { ConsumedRecord, ConsumerRunnerStats, MessageSource, RecordHandler } from './consumer.options';
import type { DeadLetterEntry, DeadLetterPublisher } from './dead-letter.publisher';
import type { KafkaContext } from './kafka.context';
import { isRebalanceError, wrapKafkaError } from './kafka.errors';
import type { DeadLetterStage } from './kafka.events';
import type { PartitionProgress } from './partition-progress';

/** A partition as the runner tracks it: at least its progress. */
export interface TrackedPartition {
  readonly progress: PartitionProgress;
}

/** What {@link BatchProcessor} needs from the runner that owns it. */
export interface BatchProcessorDeps<T, P extends TrackedPartition> {
  context: KafkaContext;
  logger: Logger;
  groupId: string;
  maxRecordsPerCall: number;
  heartbeatInterval: number;
  decode: (message: KafkaMessage, source: MessageSource) => T | Promise<T>;
  handler: RecordHandler<T>;
  deadLetter: Pick<DeadLetterPublisher, 'publish'>;
  /** The runner's counters; the processor adds to them. */
  counters: ConsumerRunnerStats;
  /** Aborted when the runner's stop deadline passes. */
  signal: AbortSignal;
  /** The state of a partition this member owns (taken once per batch). */
  partition(topic: string, partition: number): P;
  /** Pauses the partition and delivers its undone records again after a backoff. */
  scheduleRetry(partition: P, error: unknown): void;
}

interface BatchContext<P extends TrackedPartition> {
  partition: P;
  progress: PartitionProgress;
  payload: EachBatchPayload;
  /** A rebalance error seen by a heartbeat while the handler ran: rethrown to kafkajs afterwards. */
  rebalanceError?: unknown;
}

/** Commit attempts for transient coordinator errors, 100 then 200 ms apart. */
const COMMIT_RETRY = { maxAttempts: 3, initialDelayMs: 100, factor: 2, jitter: 'none' } as const;

function isPromiseLike<V>(value: unknown): value is PromiseLike<V> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

/**
 * One kafkajs `eachBatch` call of the consumer runner: decodes each message,
 * dead-letters poison ones, hands the records to the handler in chunks of
 * `maxRecordsPerCall`, and after each chunk commits the contiguous done prefix
 * ({@link PartitionProgress}). A failure schedules a retry of the partition.
 */
export class BatchProcessor<T, P extends TrackedPartition> {
  constructor(private readonly deps: BatchProcessorDeps<T, P>) {}

  async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const partition = this.deps.partition(batch.topic, batch.partition);
    const ctx: BatchContext<P> = { partition, progress: partition.progress, payload };
    const messages = batch.messages;
    const offsets = messages.map((m) => m.offset);
    let index = 0;
    while (index < messages.length) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = messages.slice(index, index + this.deps.maxRecordsPerCall);
      const chunkEnd = index + chunk.length;
      let failure = await this.processChunk(ctx, chunk, batch.highWatermark);

      const point = ctx.progress.commitPoint(offsets, index, batch.lastOffset());
      if (point) {
        const committed = await this.commit(ctx, point.lastDone, point.offset);
        if (!committed.ok) {
          if (ctx.rebalanceError === undefined && !isRebalanceError(committed.error)) this.deps.scheduleRetry(ctx.partition, committed.error);
          else throw ctx.rebalanceError ?? committed.error;
          return;
        }
        index = point.end;
      }
      if (ctx.rebalanceError !== undefined) throw ctx.rebalanceError;
      if (failure === undefined && index < chunkEnd) {
        // Cannot happen by the completion rule; guards against looping on a chunk that made no progress.
        failure = new UserstreamError('consumer runner: a chunk finished without finishing all its records', { code: 'KAFKA_CONSUMER_FAILED' });
      }
      if (failure !== undefined) {
        this.deps.scheduleRetry(ctx.partition, failure);
        return;
      }
      ctx.progress.succeeded();
      if (index < messages.length) await payload.heartbeat();
    }
  }

  /**
   * Decodes, handles and dead-letters one chunk. Marks finished offsets in the
   * partition's progress and returns the failure, if any, that stops the batch.
   */
  private async processChunk(ctx: BatchContext<P>, chunk: KafkaMessage[], highWatermark: string): Promise<unknown> {
    const { progress } = ctx;
    const { topic, partition } = progress;
    const records: ConsumedRecord<T>[] = [];
    const deadLetters: DeadLetterEntry[] = [];
    let failure: unknown;

    for (const message of chunk) {
      if (progress.isDone(message.offset)) continue;
      try {
        let value = this.deps.decode(message, { topic, partition });
        if (isPromiseLike<T>(value)) value = await value;
        records.push({
          topic,
          partition,
          offset: message.offset,
          key: message.key ?? null,
          value: value as T,
          headers: message.headers ?? {},
          timestamp: message.timestamp,
          message,
        });
      } catch (error) {
        if (isRetriable(error)) {
          // Handle what came before; this message and the rest come again after a backoff.
          failure = error;
          break;
        }
        deadLetters.push(this.deadLetterEntry(topic, partition, message, error, 'decode'));
      }
    }

    const rejected = new Map<string, { record: ConsumedRecord<T>; error: unknown; stage: Exclude<DeadLetterStage, 'decode'> }>();
    const marked = new Set<string>();
    if (records.length > 0) {
      try {
        await this.handle(ctx, records, highWatermark, marked, rejected);
      } catch (error) {
        failure = error;
      }
    }

    for (const { record, error, stage } of rejected.values()) deadLetters.push(this.deadLetterEntry(topic, partition, record.message, error, stage));
    let handled = 0;
    for (const offset of marked) {
      if (!rejected.has(offset)) {
        progress.markDone(offset);
        handled++;
      }
    }
    this.deps.counters.handled += handled;
    if (deadLetters.length > 0) {
      try {
        await this.deps.deadLetter.publish(deadLetters);
        for (const entry of deadLetters) progress.markDone(entry.offset);
        this.deps.counters.deadLettered += deadLetters.length;
      } catch (error) {
        failure ??= error;
      }
    }
    return failure;
  }

  /** Runs the handler with a heartbeat timer; fills `marked` and `rejected`, throws what the handler throws. */
  private async handle(
    ctx: BatchContext<P>,
    records: ConsumedRecord<T>[],
    highWatermark: string,
    marked: Set<string>,
    rejected: Map<string, { record: ConsumedRecord<T>; error: unknown; stage: Exclude<DeadLetterStage, 'decode'> }>,
  ): Promise<void> {
    const { topic, partition } = ctx.progress;
    const started = Date.now();
    const beat = () =>
      ctx.payload.heartbeat().catch((error: unknown) => {
        if (isRebalanceError(error)) ctx.rebalanceError ??= error;
        else this.deps.logger.debug({ err: error }, 'heartbeat failed');
      });
    const timer = setInterval(() => void beat(), this.deps.heartbeatInterval);
    try {
      await this.deps.handler({
        topic,
        partition,
        records,
        attempt: ctx.progress.attempt + 1,
        highWatermark,
        done: (...done) => {
          for (const r of done) marked.add(r.offset);
        },
        reject: (record, error, stage = 'write') => {
          rejected.set(record.offset, { record, error, stage });
        },
        heartbeat: beat,
        signal: this.deps.signal,
      });
      for (const r of records) marked.add(r.offset);
      const durationMs = Date.now() - started;
      this.deps.context.events.emitLazy('kafka.batch_handled', () => ({
        topic,
        partition,
        records: records.length,
        durationMs,
        lastOffset: records[records.length - 1].offset,
      }));
    } finally {
      clearInterval(timer);
    }
  }

  private deadLetterEntry(topic: string, partition: number, message: KafkaMessage, error: unknown, stage: DeadLetterStage): DeadLetterEntry {
    this.deps.logger.warn({ topic, partition, offset: message.offset, stage, err: error }, 'record dead-lettered');
    return { topic, partition, offset: message.offset, key: message.key ?? null, value: message.value ?? null, headers: message.headers ?? {}, error, stage };
  }

  /** Commits `offset` (= `lastDone + 1`) for the partition, with a few quick retries for transient coordinator errors. */
  private async commit(ctx: BatchContext<P>, lastDone: string, offset: string): Promise<{ ok: true } | { ok: false; error: unknown }> {
    const { topic, partition } = ctx.progress;
    try {
      await retry(() => ctx.payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset }] }] }), {
        ...COMMIT_RETRY,
        shouldRetry: (error) => !isRebalanceError(error) && isRetriable(wrapKafkaError(error, 'commit', 'KAFKA_COMMIT_FAILED')),
      });
    } catch (error) {
      this.deps.logger.warn({ topic, partition, offset, err: error }, 'offset commit failed');
      return { ok: false, error };
    }
    ctx.payload.resolveOffset(lastDone);
    ctx.progress.committed(offset);
    this.deps.counters.commits++;
    this.deps.context.events.emit('kafka.offsets_committed', { groupId: this.deps.groupId, topic, partition, offset });
    return { ok: true };
  }
}
