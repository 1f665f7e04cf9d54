import type { IHeaders, KafkaMessage } from 'kafkajs';
import { ConfigError } from '@userstream/core';
import type { DeadLetterOptions, DeadLetterPublisher } from './dead-letter.publisher';
import type { DeadLetterStage } from './kafka.events';

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
  /**
   * 0 (default): kafkajs fetches a partition again only once its last batch
   * is handled. N > 0 (pipelined): up to N fetched batches of a partition are
   * handled at once while kafkajs fetches the next, so records arriving during
   * a slow handler call do not wait for it. The commit still moves only over a
   * contiguous prefix of done records; a failure sends kafkajs back to the
   * first record not committed. Memory: up to N + 1 fetches per partition.
   */
  pipelineDepth?: number;
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

/** {@link ConsumerRunnerOptions} with defaults applied and checked. */
export interface ResolvedRunnerOptions {
  groupId: string;
  topics: string[];
  fromBeginning: boolean;
  partitionsConsumedConcurrently: number;
  maxRecordsPerCall: number;
  pipelineDepth: number;
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

/** Applies the defaults and checks every option. Throws one {@link ConfigError} naming every problem. */
export function resolveRunnerOptions<T>(options: ConsumerRunnerOptions<T>): ResolvedRunnerOptions {
  const problems: string[] = [];
  const int = (name: string, value: number | undefined, fallback: number, min: number) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min) problems.push(`${name} must be an integer >= ${min} (got ${value})`);
    return value;
  };
  if (typeof options.groupId !== 'string' || options.groupId.trim() === '') problems.push('groupId is required');
  const topics = typeof options.topics === 'string' ? [options.topics] : options.topics;
  if (!Array.isArray(topics) || topics.length === 0 || topics.some((t) => typeof t !== 'string' || t === ''))
    problems.push('topics must name at least one topic');
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
    pipelineDepth: int('pipelineDepth', options.pipelineDepth, 0, 0),
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
