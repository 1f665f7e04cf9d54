import type { EachBatchPayload, KafkaMessage } from 'kafkajs';
import { isRetriable, retry, UserstreamError, type Logger } from '@userstream/core';
import type { ConsumedRecord, ConsumerRunnerStats, MessageSource, RecordHandler } from './consumer.options';
import type { DeadLetterEntry, DeadLetterPublisher } from './dead-letter.publisher';
import type { KafkaContext } from './kafka.context';
import { isRebalanceError, wrapKafkaError } from './kafka.errors';
import type { DeadLetterStage } from './kafka.events';
import { PartitionPipeline } from './consumer.pipeline';
import type { CommitPoint, PartitionProgress } from './partition-progress';

/** A partition as the runner tracks it: at least its progress, and its pipeline in pipelined mode. */
export interface TrackedPartition {
  readonly progress: PartitionProgress;
  pipeline?: PartitionPipeline<EachBatchPayload>;
}

/** What {@link BatchProcessor} needs from the runner that owns it. */
export interface BatchProcessorDeps<T, P extends TrackedPartition> {
  context: KafkaContext;
  logger: Logger;
  groupId: string;
  maxRecordsPerCall: number;
  /** 0: kafkajs fetches a partition again once its batch is handled. Above 0: batches of a partition handled at once while kafkajs fetches on. */
  pipelineDepth: number;
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
  /** Makes kafkajs fetch the partition from `offset` again (pipelined mode). */
  seek(partition: P, offset: string): void;
  /** True once the runner is stopping: pipelined mode admits no new batch. */
  closing(): boolean;
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
 *
 * In pipelined mode (`pipelineDepth` > 0) the call returns as soon as the
 * batch has a place in its partition's {@link PartitionPipeline}, so kafkajs
 * fetches the next records while these are written; the pipeline commits.
 */
export class BatchProcessor<T, P extends TrackedPartition> {
  constructor(private readonly deps: BatchProcessorDeps<T, P>) {}

  eachBatch(payload: EachBatchPayload): Promise<void> {
    return this.deps.pipelineDepth > 0 ? this.admit(payload) : this.runBatch(payload);
  }

  /** The pipeline of a partition, created on first use. */
  private pipelineOf(partition: P): PartitionPipeline<EachBatchPayload> {
    partition.pipeline ??= new PartitionPipeline<EachBatchPayload>({
      depth: this.deps.pipelineDepth,
      maxRecords: this.deps.maxRecordsPerCall,
      progress: partition.progress,
      commit: (payload, point) => this.commit(payload, partition.progress, point, false),
      seek: (offset) => this.deps.seek(partition, offset),
      retry: (error) => this.deps.scheduleRetry(partition, error),
    });
    return partition.pipeline;
  }

  /**
   * Pipelined mode: waits for room in the partition's pipeline, then starts
   * the batch there and moves kafkajs's fetch position past it. A batch
   * fetched before the pipeline sent kafkajs back (stale), or before a
   * failure or a rejoin that came while it waited, is dropped: every batch
   * of an epoch follows on from the one before.
   */
  private async admit(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    if (batch.messages.length === 0) return;
    const partition = this.deps.partition(batch.topic, batch.partition);
    const pipeline = this.pipelineOf(partition);
    const epoch = pipeline.epoch;
    await pipeline.room(batch.messages.length);
    // A failure or a rejoin while it waited: kafkajs reads these records again from where that left off.
    if (!pipeline.current(epoch) || !payload.isRunning() || payload.isStale() || this.deps.closing()) return;
    const offsets = batch.messages.map((m) => m.offset);
    pipeline.admit(offsets, batch.lastOffset(), payload, (epoch) => this.runPipelined(payload, partition, pipeline, epoch));
    payload.resolveOffset(batch.lastOffset());
  }

  /** Pipelined mode: one batch, chunk by chunk; the pipeline commits and handles a failure. */
  private async runPipelined(payload: EachBatchPayload, partition: P, pipeline: PartitionPipeline<EachBatchPayload>, epoch: number): Promise<void> {
    const ctx: BatchContext<P> = { partition, progress: partition.progress, payload };
    const { messages } = payload.batch;
    for (let index = 0; index < messages.length; index += this.deps.maxRecordsPerCall) {
      if (!pipeline.current(epoch) || this.deps.signal.aborted) return;
      const chunk = messages.slice(index, index + this.deps.maxRecordsPerCall);
      const failure = await this.processChunk(ctx, chunk, payload.batch.highWatermark);
      await pipeline.settle(epoch);
      const stop = failure ?? ctx.rebalanceError;
      if (stop !== undefined) {
        pipeline.fail(epoch, stop);
        return;
      }
      if (pipeline.current(epoch)) ctx.progress.succeeded();
    }
  }

  /** Blocking mode: the whole batch, committing after each chunk, before kafkajs fetches the partition again. */
  private async runBatch(payload: EachBatchPayload): Promise<void> {
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
        const committed = await this.commit(payload, ctx.progress, point, true);
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

  /**
   * Commits `point.offset` (= `lastDone + 1`) for the partition, with a few
   * quick retries for transient coordinator errors. `resolve`: also move
   * kafkajs's fetch position there (blocking mode; in pipelined mode it is
   * already past the batches in flight).
   */
  private async commit(
    payload: EachBatchPayload,
    progress: PartitionProgress,
    { lastDone, offset }: CommitPoint,
    resolve: boolean,
  ): Promise<{ ok: true } | { ok: false; error: unknown }> {
    const { topic, partition } = progress;
    try {
      await retry(() => payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset }] }] }), {
        ...COMMIT_RETRY,
        shouldRetry: (error) => !isRebalanceError(error) && isRetriable(wrapKafkaError(error, 'commit', 'KAFKA_COMMIT_FAILED')),
      });
    } catch (error) {
      this.deps.logger.warn({ topic, partition, offset, err: error }, 'offset commit failed');
      return { ok: false, error };
    }
    if (resolve) payload.resolveOffset(lastDone);
    progress.committed(offset);
    this.deps.counters.commits++;
    this.deps.context.events.emit('kafka.offsets_committed', { groupId: this.deps.groupId, topic, partition, offset });
    return { ok: true };
  }
}
