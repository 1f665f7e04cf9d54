import type { Consumer, EachBatchPayload } from 'kafkajs';
import { AbortError, backoffDelay, describeError, isRetriable, UserstreamError, withTimeout, type Logger } from '@userstream/core';
import { registerSnappyCodec } from './compression';
import { BatchProcessor } from './consumer.batch';
import {
  resolveRunnerOptions,
  type ConsumerRunnerOptions,
  type ConsumerRunnerState,
  type ConsumerRunnerStats,
  type ResolvedRunnerOptions,
} from './consumer.options';
import { DeadLetterPublisher } from './dead-letter.publisher';
import { KafkaAdmin } from './kafka.admin';
import type { KafkaContext } from './kafka.context';
import { KafkaError, wrapKafkaError } from './kafka.errors';
import type { PartitionPipeline } from './consumer.pipeline';
import { PartitionProgress } from './partition-progress';

/** A partition this member owns: its progress, its pipeline in pipelined mode, and the retry that paused it. */
interface PartitionState {
  topic: string;
  partition: number;
  progress: PartitionProgress;
  pipeline?: PartitionPipeline<EachBatchPayload>;
  retryPaused: boolean;
  retryTimer?: NodeJS.Timeout;
}

/**
 * Consumes a consumer group with at-least-once delivery and never skips a
 * record. kafkajs `eachBatch` with auto-resolve and auto-commit off; each
 * message is decoded with the caller's `decode`, poison messages go to the
 * dead-letter topic with the original bytes, and the decoded records reach the
 * handler in chunks of `maxRecordsPerCall`.
 *
 * Commit rule: per partition, the committed offset only moves past a record
 * when it and every record before it is done (handled or dead-lettered): the
 * runner commits the highest contiguous done offset + 1. A handler failure
 * (retriable or not) commits that prefix, pauses the partition, waits an
 * exponential backoff and delivers the rest again — forever, until `stop`.
 * Other partitions keep flowing meanwhile.
 *
 * @example
 * ```ts
 * const runner = kafka.consumerRunner<User>({
 *   groupId: 'stream-processor',
 *   topics: 'users_created',
 *   decode: (m) => JSON.parse(m.value!.toString('utf8')) as User,
 *   handler: async ({ records }) => { await sink.write(records.map((r) => r.value)); },
 * });
 * await runner.start();
 * // ... on SIGTERM:
 * await runner.stop();
 * ```
 */
export class ConsumerRunner<T> {
  /** Options with defaults applied. */
  readonly options: Readonly<ResolvedRunnerOptions>;
  private readonly consumer: Consumer;
  private readonly logger: Logger;
  private readonly deadLetter: DeadLetterPublisher;
  private readonly ownsDeadLetter: boolean;
  private readonly partitions = new Map<string, PartitionState>();
  private readonly stopController = new AbortController();
  private readonly removeListeners: Array<() => void> = [];
  private stateValue: ConsumerRunnerState = 'idle';
  private userPaused = false;
  private stopping?: Promise<void>;
  private crashError?: Error;
  private onJoined?: () => void;
  private onStartCrash?: (error: unknown) => void;
  private readonly counters: ConsumerRunnerStats = { handled: 0, deadLettered: 0, commits: 0, retries: 0 };
  private readonly batches: BatchProcessor<T, PartitionState>;

  constructor(
    private readonly client: KafkaContext,
    options: ConsumerRunnerOptions<T>,
  ) {
    this.options = resolveRunnerOptions(options);
    this.logger = client.logger.child({ groupId: this.options.groupId });
    if (options.deadLetter instanceof DeadLetterPublisher) {
      this.deadLetter = options.deadLetter;
      this.ownsDeadLetter = false;
    } else {
      this.deadLetter = new DeadLetterPublisher(client, options.deadLetter ?? {});
      this.ownsDeadLetter = true;
    }
    this.batches = new BatchProcessor<T, PartitionState>({
      context: client,
      logger: this.logger,
      groupId: this.options.groupId,
      maxRecordsPerCall: this.options.maxRecordsPerCall,
      pipelineDepth: this.options.pipelineDepth,
      heartbeatInterval: this.options.heartbeatInterval,
      decode: options.decode,
      handler: options.handler,
      deadLetter: this.deadLetter,
      counters: this.counters,
      signal: this.stopController.signal,
      partition: (topic, partition) => this.partitionState(topic, partition),
      scheduleRetry: (state, error) => this.scheduleRetry(state, error),
      seek: (state, offset) => this.seek(state, offset),
      closing: () => this.stopping !== undefined,
    });
    const o = this.options;
    const retry = client.options.retry;
    this.consumer = client.kafka.consumer({
      groupId: o.groupId,
      sessionTimeout: o.sessionTimeout,
      heartbeatInterval: o.heartbeatInterval,
      rebalanceTimeout: o.rebalanceTimeout,
      maxBytesPerPartition: o.maxBytesPerPartition,
      maxBytes: o.maxBytes,
      minBytes: o.minBytes,
      maxWaitTimeInMs: o.maxWaitTimeInMs,
      allowAutoTopicCreation: false,
      retry: {
        retries: retry.retries,
        initialRetryTime: retry.initialRetryTimeMs,
        maxRetryTime: retry.maxRetryTimeMs,
        // kafkajs asks this after a retriable crash: restart while starting or running, never while stopping.
        // (A broker that has just started answers "coordinator is loading" for a while.)
        restartOnFailure: async () => this.stateValue === 'running' || this.stateValue === 'starting',
      },
    });
  }

  /** Where the runner is in its lifecycle. `crashed`: kafkajs gave up (see the `kafka.consumer_crashed` event). */
  get state(): ConsumerRunnerState {
    return this.stateValue;
  }

  /** The error that crashed the consumer, when `state` is `crashed`. */
  get crash(): Error | undefined {
    return this.crashError;
  }

  /** Counters since start. */
  get stats(): Readonly<ConsumerRunnerStats> {
    return { ...this.counters };
  }

  /** True while consumption is paused by {@link pause}. */
  get paused(): boolean {
    return this.userPaused;
  }

  /**
   * Creates the dead-letter topics when missing, connects, subscribes and
   * resolves once the group is joined. Throws KafkaError `KAFKA_CONSUMER_FAILED`
   * (or `KAFKA_CONNECT_FAILED`) when that fails, or TimeoutError after
   * `startTimeoutMs`; the runner is then stopped.
   */
  async start(): Promise<void> {
    if (this.stateValue !== 'idle') throw new KafkaError(`consumer runner cannot start: it is ${this.stateValue}`, { code: 'KAFKA_CONSUMER_FAILED' });
    this.stateValue = 'starting';
    registerSnappyCodec();
    const { GROUP_JOIN, CRASH } = this.consumer.events;
    this.removeListeners.push(
      this.consumer.on(GROUP_JOIN, (event) => this.onGroupJoin(event.payload)),
      this.consumer.on(CRASH, (event) => this.onCrash(event.payload)),
    );
    const joined = new Promise<void>((resolve, reject) => {
      this.onJoined = resolve;
      this.onStartCrash = reject;
    });
    // A crash or stop may reject it before it is awaited below; the race still sees it.
    joined.catch(() => undefined);
    const notStopped = () => {
      if (this.stopping) throw new AbortError(`consumer group ${this.options.groupId}: stopped while starting`);
    };
    try {
      await this.checkTopicsExist();
      for (const topic of this.options.topics) await this.deadLetter.ensureTopicFor(topic);
      notStopped();
      try {
        await this.consumer.connect();
      } catch (error) {
        throw wrapKafkaError(error, `connecting consumer of group ${this.options.groupId}`, 'KAFKA_CONNECT_FAILED');
      }
      notStopped();
      try {
        await this.consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning });
        await this.consumer.run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: this.options.partitionsConsumedConcurrently,
          eachBatch: (payload) => this.eachBatch(payload),
        });
      } catch (error) {
        throw wrapKafkaError(error, `starting consumer of group ${this.options.groupId} on ${this.options.topics.join(',')}`, 'KAFKA_CONSUMER_FAILED');
      }
      await withTimeout(joined, this.options.startTimeoutMs, {
        message: `consumer group ${this.options.groupId} did not join within ${this.options.startTimeoutMs} ms`,
      });
      notStopped();
      this.stateValue = 'running';
      this.logger.info({ topics: this.options.topics }, 'consumer runner started');
    } catch (error) {
      if (this.stopping) {
        await this.stopping.catch(() => undefined);
      } else {
        this.stateValue = 'stopping';
        this.stopping = this.shutdown()
          .catch(() => undefined)
          .finally(() => {
            this.stateValue = 'stopped';
          });
        await this.stopping;
      }
      throw error;
    } finally {
      this.onJoined = undefined;
      this.onStartCrash = undefined;
    }
  }

  /** Fails start clearly (and before any dead-letter topic is created) when a topic is missing. */
  private async checkTopicsExist(): Promise<void> {
    const admin = new KafkaAdmin(this.client);
    try {
      for (const topic of this.options.topics) {
        if (!(await admin.topicExists(topic))) {
          throw new KafkaError(`topic ${topic} does not exist: create it first (KafkaAdmin.ensureTopic)`, {
            code: 'KAFKA_CONSUMER_FAILED',
            retriable: true,
            details: { topic },
          });
        }
      }
    } finally {
      await admin.close();
    }
  }

  /**
   * Stops fetching, lets in-flight handler work finish and commit, leaves the
   * group and disconnects. After `stopTimeoutMs` the handler's signal is
   * aborted; if kafkajs still has not stopped 5 s later, rejects with
   * TimeoutError (uncommitted records are then delivered again to the next
   * member, nothing is lost). Safe to call more than once.
   */
  stop(): Promise<void> {
    if (!this.stopping) {
      for (const state of this.partitions.values()) clearTimeout(state.retryTimer);
      if (this.stateValue === 'idle' || this.stateValue === 'stopped') {
        this.stateValue = 'stopped';
        this.stopping = Promise.resolve();
        return this.stopping;
      }
      // A start still waiting to join gives up now instead of at its timeout.
      this.onStartCrash?.(new AbortError(`consumer group ${this.options.groupId}: stopped while starting`));
      this.stateValue = 'stopping';
      this.stopping = this.shutdown().finally(() => {
        this.stateValue = 'stopped';
      });
    }
    return this.stopping;
  }

  private async shutdown(): Promise<void> {
    for (const state of this.partitions.values()) clearTimeout(state.retryTimer);
    const abortTimer = setTimeout(() => this.stopController.abort(), this.options.stopTimeoutMs);
    const giveUpMs = this.options.stopTimeoutMs + 5_000;
    try {
      await withTimeout(
        this.drainPipelines().then(() => this.consumer.disconnect()),
        giveUpMs,
        {
          message: `consumer group ${this.options.groupId} did not stop within ${giveUpMs} ms`,
        },
      );
      this.logger.info({ ...this.counters }, 'consumer runner stopped');
    } finally {
      clearTimeout(abortTimer);
      for (const remove of this.removeListeners.splice(0)) remove();
      if (this.ownsDeadLetter) await this.deadLetter.close({ timeoutMs: 5_000 });
    }
  }

  /**
   * Pipelined mode, on stop: fetches nothing more and waits until the batches
   * in flight are written and committed, while the consumer is still in its
   * group (kafkajs's own stop waits only for its `eachBatch` calls, which have
   * returned long before).
   */
  private async drainPipelines(): Promise<void> {
    if (this.options.pipelineDepth === 0) return;
    try {
      this.consumer.pause(this.options.topics.map((topic) => ({ topic })));
    } catch (error) {
      this.logger.debug({ err: error }, 'nothing to pause before draining');
    }
    for (const state of this.partitions.values()) await state.pipeline?.idle();
  }

  /** Pauses fetching from every subscribed topic (backpressure). In-flight batches finish. */
  pause(): void {
    if (this.userPaused) return;
    this.userPaused = true;
    if (this.stateValue === 'running' || this.stateValue === 'starting') this.applyPauseState();
    for (const topic of this.options.topics) this.client.events.emit('kafka.consumer_paused', { topic, reason: 'requested' });
  }

  /** Resumes after {@link pause}; partitions waiting for a retry stay paused until their backoff ends. */
  resume(): void {
    if (!this.userPaused) return;
    this.userPaused = false;
    if (this.stateValue === 'running' || this.stateValue === 'starting') this.applyPauseState();
    for (const topic of this.options.topics) this.client.events.emit('kafka.consumer_resumed', { topic, reason: 'requested' });
  }

  /**
   * Makes kafkajs's pause state match ours. kafkajs pauses either whole topics
   * or a set of partitions (pausing one partition un-pauses a paused topic), so
   * it is always rebuilt from: paused by the caller, else the partitions
   * waiting for a retry.
   */
  private applyPauseState(): void {
    try {
      const topics = this.options.topics.map((topic) => ({ topic }));
      if (this.userPaused) {
        this.consumer.pause(topics);
        return;
      }
      this.consumer.resume(topics);
      const byTopic = new Map<string, number[]>();
      for (const s of this.partitions.values()) {
        if (s.retryPaused) byTopic.set(s.topic, [...(byTopic.get(s.topic) ?? []), s.partition]);
      }
      if (byTopic.size > 0) this.consumer.pause([...byTopic].map(([topic, partitions]) => ({ topic, partitions })));
    } catch (error) {
      // Before kafkajs created its group (or after a crash) there is nothing to pause; the next join re-applies it.
      this.logger.debug({ err: error }, 'pause state not applied');
    }
  }

  private partitionState(topic: string, partition: number): PartitionState {
    const key = `${topic}\u0000${partition}`;
    let state = this.partitions.get(key);
    if (!state) {
      state = { topic, partition, progress: new PartitionProgress(topic, partition), retryPaused: false };
      this.partitions.set(key, state);
    }
    return state;
  }

  private onGroupJoin(payload: { memberId: string; memberAssignment: Record<string, number[]> }): void {
    const assignment = payload.memberAssignment ?? {};
    // kafkajs fetches from the committed offsets again: the pipelines start over, and a
    // batch still in flight for a partition now owned by another member commits nothing.
    for (const state of this.partitions.values()) state.pipeline?.reset();
    // Forget partitions this member no longer owns; their retry timers would resume nothing.
    for (const [key, state] of this.partitions) {
      if (!(assignment[state.topic] ?? []).includes(state.partition)) {
        clearTimeout(state.retryTimer);
        this.partitions.delete(key);
      }
    }
    this.applyPauseState();
    this.logger.info({ memberId: payload.memberId, assignment }, 'consumer group joined');
    this.client.events.emit('kafka.group_joined', { groupId: this.options.groupId, memberId: payload.memberId, assignment });
    this.onJoined?.();
  }

  /** kafkajs's `eachBatch`; see {@link BatchProcessor}. */
  private eachBatch(payload: EachBatchPayload): Promise<void> {
    return this.batches.eachBatch(payload);
  }

  private onCrash(payload: { error: Error; restart: boolean }): void {
    const error = wrapKafkaError(payload.error, `consumer of group ${this.options.groupId} crashed`, 'KAFKA_CONSUMER_FAILED');
    this.client.events.emit('kafka.consumer_crashed', { groupId: this.options.groupId, error, restart: payload.restart });
    if (this.onStartCrash && !payload.restart) {
      this.onStartCrash(error);
      return;
    }
    if (payload.restart) {
      this.logger.warn({ err: error }, 'consumer crashed; kafkajs restarts it');
    } else if (this.stateValue === 'running') {
      this.crashError = error;
      this.stateValue = 'crashed';
      this.logger.error({ err: error }, 'consumer crashed and will not restart');
    }
  }

  /** Pipelined mode: kafkajs fetches the partition from `offset` again; until then its fetched batches are stale. */
  private seek(state: PartitionState, offset: string): void {
    try {
      this.consumer.seek({ topic: state.topic, partition: state.partition, offset });
    } catch (error) {
      // Only when the consumer no longer runs: the next member starts from the committed offset anyway.
      this.logger.warn({ topic: state.topic, partition: state.partition, offset, err: error }, 'seek failed');
    }
  }

  private scheduleRetry(state: PartitionState, error: unknown): void {
    this.counters.retries++;
    const attempt = state.progress.failed();
    const { retry } = this.options;
    const delayMs = Math.max(retry.minDelayMs, backoffDelay(attempt, retry));
    const wrapped = error instanceof Error ? error : new UserstreamError(`handler failed: ${describeError(error)}`, { code: 'HANDLER_FAILED', cause: error });
    const retriable = isRetriable(error);
    this.client.events.emit('kafka.handler_retry', { topic: state.topic, partition: state.partition, attempt, delayMs, error: wrapped, retriable });
    const fields = { topic: state.topic, partition: state.partition, attempt, delayMs, err: wrapped };
    if (retriable) this.logger.warn(fields, 'handler failed; retrying after backoff');
    else this.logger.error(fields, 'handler failed with a non-retriable error; retrying after backoff (records are never skipped)');
    if (this.stateValue === 'stopping' || this.stateValue === 'stopped' || error instanceof AbortError) return;
    state.retryPaused = true;
    this.applyPauseState();
    this.client.events.emit('kafka.consumer_paused', { topic: state.topic, partitions: [state.partition], reason: 'retry' });
    clearTimeout(state.retryTimer);
    state.retryTimer = setTimeout(() => {
      state.retryTimer = undefined;
      state.retryPaused = false;
      if (this.stateValue !== 'running') return;
      this.applyPauseState();
      this.client.events.emit('kafka.consumer_resumed', { topic: state.topic, partitions: [state.partition], reason: 'retry' });
    }, delayMs);
  }
}
