import type { Consumer, EachBatchPayload, IHeaders, KafkaMessage } from 'kafkajs';
import { AbortError, backoffDelay, ConfigError, describeError, isRetriable, TimeoutError, UserstreamError, type Logger } from '@userstream/core';
import { registerSnappyCodec } from './compression';
import { DeadLetterPublisher, type DeadLetterEntry, type DeadLetterOptions } from './dead-letter.publisher';
import { isRebalanceError, KafkaError, wrapKafkaError } from './kafka.errors';
import type { DeadLetterStage } from './kafka.events';
import type { KafkaClient } from './kafka.client';

/** Where a message came from, passed to `decode` beside the message. */
export interface MessageSource {
  topic: string;
  partition: number;
}

/** One decoded record handed to the handler. */
export interface ConsumedRecord<T> {
  topic: string;
  partition: number;
  /** Kafka offset as a decimal string. */
  offset: string;
  key: Buffer | null;
  /** What `decode` returned for this message. */
  value: T;
  headers: IHeaders;
  /** Record timestamp, milliseconds since the epoch as a decimal string. */
  timestamp: string;
  /** The kafkajs message with the original bytes. */
  message: KafkaMessage;
}

/**
 * What the handler receives: the decoded records of one partition, in offset
 * order, and the means to report progress.
 *
 * Completion rule: when the handler resolves, every record it did not
 * {@link HandlerBatch.reject} is done. When it throws, only the records it
 * marked with {@link HandlerBatch.done} or rejected count; the others are
 * delivered again after a backoff. Rejected records go to the dead-letter
 * topic before they count as done.
 */
export interface HandlerBatch<T> {
  topic: string;
  partition: number;
  records: ConsumedRecord<T>[];
  /** 1 on first delivery; higher when these records are retried after a failure. */
  attempt: number;
  /** The partition's end offset at fetch time (for lag metrics), decimal string. */
  highWatermark: string;
  /** Marks records as done (written) before the handler returns; any order. */
  done(...records: ConsumedRecord<T>[]): void;
  /** Sends a record to the dead-letter topic with the reason (`stage` default `write`) instead of retrying it. */
  reject(record: ConsumedRecord<T>, error: unknown, stage?: Exclude<DeadLetterStage, 'decode'>): void;
  /** Keeps the group membership alive during long work (the runner also does so on a timer). Never throws. */
  heartbeat(): Promise<void>;
  /** Aborted when the runner's stop deadline passes: finish or give up quickly. */
  signal: AbortSignal;
}

/** Handles one batch of decoded records; see {@link HandlerBatch} for the completion rule. */
export type RecordHandler<T> = (batch: HandlerBatch<T>) => Promise<void>;

/** Backoff for handler retries: exponential from `initialDelayMs` to `maxDelayMs`, forever until stop. */
export interface HandlerRetryOptions {
  /** Default 200 ms. */
  initialDelayMs?: number;
  /** Default 30 000 ms. */
  maxDelayMs?: number;
  /** Default 2. */
  factor?: number;
  /** Default `full` (random between `minDelayMs` and the exponential cap). */
  jitter?: 'full' | 'none';
  /** No retry waits less than this (no spinning). Default 50 ms. */
  minDelayMs?: number;
}

/** Options of {@link ConsumerRunner}. */
export interface ConsumerRunnerOptions<T> {
  /** Consumer group id. Required. */
  groupId: string;
  /** Topic or topics to consume. They must exist. */
  topics: string | string[];
  /**
   * Turns a message into the handler's value. Throwing a non-retriable error makes the
   * message a poison record: it goes to the dead-letter topic (stage `decode`) and is not
   * given to the handler. Throwing a retriable error (e.g. a schema id not yet fetched)
   * retries the message later. May return a promise.
   */
  decode: (message: KafkaMessage, source: MessageSource) => T | Promise<T>;
  handler: RecordHandler<T>;
  /** Where a new group starts: earliest (true, default) or latest offset. */
  fromBeginning?: boolean;
  /** Partitions handled in parallel. Default 1. */
  partitionsConsumedConcurrently?: number;
  /** Most records per handler call. Default 500. */
  maxRecordsPerCall?: number;
  /** Fetch size per partition in bytes. Default 1 MiB. */
  maxBytesPerPartition?: number;
  /** Fetch size per request in bytes. Default 10 MiB. */
  maxBytes?: number;
  /** Bytes the broker waits for before answering a fetch. Default 1. */
  minBytes?: number;
  /** Longest time the broker holds a fetch when there is less than `minBytes`. Default 100 ms (kafkajs: 5 000). */
  maxWaitTimeInMs?: number;
  /** Group session timeout in ms. Default 30 000. */
  sessionTimeout?: number;
  /** Heartbeat interval in ms (below a third of the session timeout). Default 3 000. */
  heartbeatInterval?: number;
  /** Time members get to rejoin during a rebalance, in ms. Default 60 000. */
  rebalanceTimeout?: number;
  retry?: HandlerRetryOptions;
  /** Dead-letter settings, or a publisher to share. Default: `<topic>.dlq`, created when missing. */
  deadLetter?: DeadLetterOptions | DeadLetterPublisher;
  /** How long `start` waits to join the group, in ms. Default 60 000. */
  startTimeoutMs?: number;
  /** How long `stop` waits for in-flight work before aborting the handler's signal, in ms. Default 30 000. */
  stopTimeoutMs?: number;
}

/** Counters since the runner started. */
export interface ConsumerRunnerStats {
  /** Records the handler completed. */
  handled: number;
  /** Records written to the dead-letter topic. */
  deadLettered: number;
  /** Offset commits made. */
  commits: number;
  /** Handler (or dead-letter) failures that led to a retry. */
  retries: number;
}

/** Lifecycle of a runner. */
export type ConsumerRunnerState = 'idle' | 'starting' | 'running' | 'stopping' | 'stopped' | 'crashed';

interface PartitionState {
  topic: string;
  partition: number;
  /** Consecutive failed attempts. */
  attempt: number;
  retryPaused: boolean;
  retryTimer?: NodeJS.Timeout;
  /** Offsets finished (written or dead-lettered) but maybe not yet committed. */
  done: Set<string>;
}

interface BatchContext {
  state: PartitionState;
  payload: EachBatchPayload;
  /** A rebalance error seen by a heartbeat while the handler ran: rethrown to kafkajs afterwards. */
  rebalanceError?: unknown;
}

interface ResolvedRunnerOptions {
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  partitionsConsumedConcurrently: number;
  maxRecordsPerCall: number;
  maxBytesPerPartition: number;
  maxBytes: number;
  minBytes: number;
  maxWaitTimeInMs: number;
  sessionTimeout: number;
  heartbeatInterval: number;
  rebalanceTimeout: number;
  retry: Required<HandlerRetryOptions>;
  startTimeoutMs: number;
  stopTimeoutMs: number;
}

function resolveRunnerOptions<T>(options: ConsumerRunnerOptions<T>): ResolvedRunnerOptions {
  const problems: string[] = [];
  const int = (name: string, value: number | undefined, fallback: number, min: number) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min) problems.push(`${name} must be an integer >= ${min} (got ${value})`);
    return value;
  };
  if (typeof options.groupId !== 'string' || options.groupId.trim() === '') problems.push('groupId is required');
  const topics = typeof options.topics === 'string' ? [options.topics] : options.topics;
  if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string' || t === '')) problems.push('topics must name at least one topic');
  if (typeof options.decode !== 'function') problems.push('decode must be a function');
  if (typeof options.handler !== 'function') problems.push('handler must be a function');
  const sessionTimeout = int('sessionTimeout', options.sessionTimeout, 30_000, 1);
  const heartbeatInterval = int('heartbeatInterval', options.heartbeatInterval, 3_000, 1);
  if (heartbeatInterval >= sessionTimeout) problems.push(`heartbeatInterval (${heartbeatInterval}) must be lower than sessionTimeout (${sessionTimeout})`);
  const retry = {
    initialDelayMs: int('retry.initialDelayMs', options.retry?.initialDelayMs, 200, 1),
    maxDelayMs: int('retry.maxDelayMs', options.retry?.maxDelayMs, 30_000, 1),
    factor: options.retry?.factor ?? 2,
    jitter: options.retry?.jitter ?? 'full',
    minDelayMs: int('retry.minDelayMs', options.retry?.minDelayMs, 50, 1),
  };
  if (!(retry.factor >= 1)) problems.push('retry.factor must be >= 1');
  const resolved: ResolvedRunnerOptions = {
    groupId: options.groupId,
    topics: Array.isArray(topics) ? [...topics] : [],
    fromBeginning: options.fromBeginning ?? true,
    partitionsConsumedConcurrently: int('partitionsConsumedConcurrently', options.partitionsConsumedConcurrently, 1, 1),
    maxRecordsPerCall: int('maxRecordsPerCall', options.maxRecordsPerCall, 500, 1),
    maxBytesPerPartition: int('maxBytesPerPartition', options.maxBytesPerPartition, 1_048_576, 1),
    maxBytes: int('maxBytes', options.maxBytes, 10_485_760, 1),
    minBytes: int('minBytes', options.minBytes, 1, 1),
    maxWaitTimeInMs: int('maxWaitTimeInMs', options.maxWaitTimeInMs, 100, 0),
    sessionTimeout,
    heartbeatInterval,
    rebalanceTimeout: int('rebalanceTimeout', options.rebalanceTimeout, 60_000, 1),
    retry,
    startTimeoutMs: int('startTimeoutMs', options.startTimeoutMs, 60_000, 1),
    stopTimeoutMs: int('stopTimeoutMs', options.stopTimeoutMs, 30_000, 1),
  };
  if (problems.length > 0) throw new ConfigError(`invalid consumer runner options: ${problems.join('; ')}`, { details: { problems } });
  return resolved;
}

function isPromiseLike<V>(value: unknown): value is PromiseLike<V> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function nextOffset(offset: string): string {
  return (BigInt(offset) + 1n).toString();
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
  private readonly decode: (message: KafkaMessage, source: MessageSource) => T | Promise<T>;
  private readonly handler: RecordHandler<T>;
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

  constructor(
    private readonly client: KafkaClient,
    options: ConsumerRunnerOptions<T>,
  ) {
    this.options = resolveRunnerOptions(options);
    this.logger = client.logger.child({ groupId: this.options.groupId });
    this.decode = options.decode;
    this.handler = options.handler;
    if (options.deadLetter instanceof DeadLetterPublisher) {
      this.deadLetter = options.deadLetter;
      this.ownsDeadLetter = false;
    } else {
      this.deadLetter = new DeadLetterPublisher(client, options.deadLetter ?? {});
      this.ownsDeadLetter = true;
    }
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
    let timer: NodeJS.Timeout | undefined;
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
      await Promise.race([
        joined,
        new Promise<never>((_, reject) => {
          timer = setTimeout(
            () => reject(new TimeoutError(`consumer group ${this.options.groupId} did not join within ${this.options.startTimeoutMs} ms`)),
            this.options.startTimeoutMs,
          );
        }),
      ]);
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
      clearTimeout(timer);
      this.onJoined = undefined;
      this.onStartCrash = undefined;
    }
  }

  /** Fails start clearly (and before any dead-letter topic is created) when a topic is missing. */
  private async checkTopicsExist(): Promise<void> {
    const admin = this.client.admin();
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
    let giveUp: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.consumer.disconnect(),
        new Promise<never>((_, reject) => {
          giveUp = setTimeout(
            () => reject(new TimeoutError(`consumer group ${this.options.groupId} did not stop within ${this.options.stopTimeoutMs + 5_000} ms`)),
            this.options.stopTimeoutMs + 5_000,
          );
        }),
      ]);
      this.logger.info({ ...this.counters }, 'consumer runner stopped');
    } finally {
      clearTimeout(abortTimer);
      clearTimeout(giveUp);
      for (const remove of this.removeListeners.splice(0)) remove();
      if (this.ownsDeadLetter) await this.deadLetter.close({ timeoutMs: 5_000 });
    }
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
      state = { topic, partition, attempt: 0, retryPaused: false, done: new Set() };
      this.partitions.set(key, state);
    }
    return state;
  }

  private onGroupJoin(payload: { memberId: string; memberAssignment: Record<string, number[]> }): void {
    const assignment = payload.memberAssignment ?? {};
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

  private async eachBatch(payload: EachBatchPayload): Promise<void> {
    const { batch } = payload;
    const ctx: BatchContext = { state: this.partitionState(batch.topic, batch.partition), payload };
    const messages = batch.messages;
    let index = 0;
    while (index < messages.length) {
      if (!payload.isRunning() || payload.isStale()) return;
      const chunk = messages.slice(index, index + this.options.maxRecordsPerCall);
      const chunkEnd = index + chunk.length;
      let failure = await this.processChunk(ctx, chunk, batch.highWatermark);

      let end = index;
      while (end < messages.length && ctx.state.done.has(messages[end].offset)) end++;
      if (end > index) {
        const last = end === messages.length ? batch.lastOffset() : messages[end - 1].offset;
        const committed = await this.commit(ctx, last);
        if (!committed.ok) {
          if (ctx.rebalanceError === undefined && !isRebalanceError(committed.error)) this.scheduleRetry(ctx.state, committed.error);
          else throw ctx.rebalanceError ?? committed.error;
          return;
        }
        index = end;
      }
      if (ctx.rebalanceError !== undefined) throw ctx.rebalanceError;
      if (failure === undefined && end < chunkEnd) {
        // Cannot happen by the completion rule; guards against looping on a chunk that made no progress.
        failure = new UserstreamError('consumer runner: a chunk finished without finishing all its records', { code: 'KAFKA_CONSUMER_FAILED' });
      }
      if (failure !== undefined) {
        this.scheduleRetry(ctx.state, failure);
        return;
      }
      ctx.state.attempt = 0;
      if (index < messages.length) await payload.heartbeat();
    }
  }

  /**
   * Decodes, handles and dead-letters one chunk. Marks finished offsets in the
   * partition's done set and returns the failure, if any, that stops the batch.
   */
  private async processChunk(ctx: BatchContext, chunk: KafkaMessage[], highWatermark: string): Promise<unknown> {
    const { topic, partition } = ctx.state;
    const state = ctx.state;
    const records: ConsumedRecord<T>[] = [];
    const deadLetters: DeadLetterEntry[] = [];
    let failure: unknown;

    for (const message of chunk) {
      if (state.done.has(message.offset)) continue;
      try {
        let value = this.decode(message, { topic, partition });
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
      const started = Date.now();
      const beat = () =>
        ctx.payload.heartbeat().catch((error: unknown) => {
          if (isRebalanceError(error)) ctx.rebalanceError ??= error;
          else this.logger.debug({ err: error }, 'heartbeat failed');
        });
      const timer = setInterval(() => void beat(), this.options.heartbeatInterval);
      try {
        await this.handler({
          topic,
          partition,
          records,
          attempt: state.attempt + 1,
          highWatermark,
          done: (...done) => {
            for (const r of done) marked.add(r.offset);
          },
          reject: (record, error, stage = 'write') => {
            rejected.set(record.offset, { record, error, stage });
          },
          heartbeat: beat,
          signal: this.stopController.signal,
        });
        for (const r of records) marked.add(r.offset);
        const durationMs = Date.now() - started;
        this.client.events.emitLazy('kafka.batch_handled', () => ({
          topic,
          partition,
          records: records.length,
          durationMs,
          lastOffset: records[records.length - 1].offset,
        }));
      } catch (error) {
        failure = error;
      } finally {
        clearInterval(timer);
      }
    }

    for (const { record, error, stage } of rejected.values()) deadLetters.push(this.deadLetterEntry(topic, partition, record.message, error, stage));
    let handled = 0;
    for (const offset of marked) {
      if (!rejected.has(offset)) {
        state.done.add(offset);
        handled++;
      }
    }
    this.counters.handled += handled;
    if (deadLetters.length > 0) {
      try {
        await this.deadLetter.publish(deadLetters);
        for (const entry of deadLetters) state.done.add(entry.offset);
        this.counters.deadLettered += deadLetters.length;
      } catch (error) {
        failure ??= error;
      }
    }
    return failure;
  }

  private deadLetterEntry(topic: string, partition: number, message: KafkaMessage, error: unknown, stage: DeadLetterStage): DeadLetterEntry {
    this.logger.warn({ topic, partition, offset: message.offset, stage, err: error }, 'record dead-lettered');
    return { topic, partition, offset: message.offset, key: message.key ?? null, value: message.value ?? null, headers: message.headers ?? {}, error, stage };
  }

  /** Commits `lastDone + 1` for the partition, with a few quick retries for transient coordinator errors. */
  private async commit(ctx: BatchContext, lastDone: string): Promise<{ ok: true } | { ok: false; error: unknown }> {
    const { topic, partition } = ctx.state;
    const offset = nextOffset(lastDone);
    let lastError: unknown;
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await ctx.payload.commitOffsetsIfNecessary({ topics: [{ topic, partitions: [{ partition, offset }] }] });
        ctx.payload.resolveOffset(lastDone);
        const limit = BigInt(offset);
        for (const done of ctx.state.done) if (BigInt(done) < limit) ctx.state.done.delete(done);
        this.counters.commits++;
        this.client.events.emit('kafka.offsets_committed', { groupId: this.options.groupId, topic, partition, offset });
        return { ok: true };
      } catch (error) {
        lastError = error;
        if (isRebalanceError(error) || !isRetriable(wrapKafkaError(error, 'commit', 'KAFKA_COMMIT_FAILED'))) break;
        await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
      }
    }
    this.logger.warn({ topic, partition, offset, err: lastError }, 'offset commit failed');
    return { ok: false, error: lastError };
  }

  private scheduleRetry(state: PartitionState, error: unknown): void {
    this.counters.retries++;
    state.attempt++;
    const { retry } = this.options;
    const delayMs = Math.max(retry.minDelayMs, backoffDelay(state.attempt, retry));
    const wrapped =
      error instanceof Error ? error : new UserstreamError(`handler failed: ${describeError(error)}`, { code: 'HANDLER_FAILED', cause: error });
    const retriable = isRetriable(error);
    this.client.events.emit('kafka.handler_retry', { topic: state.topic, partition: state.partition, attempt: state.attempt, delayMs, error: wrapped, retriable });
    const fields = { topic: state.topic, partition: state.partition, attempt: state.attempt, delayMs, err: wrapped };
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
