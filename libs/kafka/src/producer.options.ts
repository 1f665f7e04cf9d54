import type { CompressionTypes, IHeaders } from 'kafkajs';
import { ConfigError, describeError } from '@userstream/core';
import { compressionType, type CompressionName } from './compression';

/** One message to produce. A string key or value is sent as UTF-8. */
export interface OutgoingMessage {
  key?: string | Buffer | null;
  value: Buffer | string | null;
  headers?: IHeaders;
  /** Explicit partition; by default the key's murmur2 hash picks it (Java client compatible). */
  partition?: number;
  /** Milliseconds since the epoch as a decimal string; default: the time of sending. */
  timestamp?: string;
}

/** Options of {@link KafkaProducer}. */
export interface KafkaProducerOptions {
  /**
   * Idempotent producer (no duplicates from kafkajs's internal retries, per-partition order
   * kept). Default true. A failed request is retried for about `outageTimeoutMs` (a send
   * waits through a broker restart instead of failing); produce requests are serialised
   * per broker; acks is always `all`.
   */
  idempotent?: boolean;
  /** Messages per produce request (kafkajs has no linger: this is the batching). Default 500. */
  batchSize?: number;
  /** Produce requests this producer keeps in flight at once, across all `send` calls. Default 4. */
  maxInFlightSends?: number;
  /** Compression of each request: `none` (default), `gzip` or `snappy`. */
  compression?: CompressionName;
  /** How long the broker may wait for all in-sync replicas to acknowledge, in ms. Default 30 000. */
  ackTimeoutMs?: number;
  /**
   * kafkajs `maxInFlightRequests` per broker connection. Default 5 when idempotent (the
   * broker remembers the last 5 batches per producer for de-duplication, so more is refused),
   * unlimited otherwise.
   */
  maxInFlightRequests?: number;
  /** Let the broker auto-create unknown topics. Default false: create them with `ensureTopic`. */
  allowAutoTopicCreation?: boolean;
  /**
   * How long a send rides out a cluster it cannot reach (a broker restart, a
   * network cut) before it fails with code `KAFKA_UNAVAILABLE`, in ms. kafkajs
   * keeps reconnecting for about this long (backoff from 300 ms, at most 2 s
   * apart, so sends resume within about 2 s of the broker's return). The
   * idempotent producer keeps its producer id and sequence numbers across
   * the outage, so a request the broker wrote before the cut is not written
   * twice when it is sent again. After a send failed for good, the next send
   * starts on a new producer id. Default 60 000.
   */
  outageTimeoutMs?: number;
}

/** {@link KafkaProducerOptions} with defaults applied and checked. */
export interface ResolvedProducerOptions {
  idempotent: boolean;
  batchSize: number;
  maxInFlightSends: number;
  compression: CompressionTypes;
  compressionName: CompressionName;
  ackTimeoutMs: number;
  maxInFlightRequests?: number;
  allowAutoTopicCreation: boolean;
  outageTimeoutMs: number;
}
/** Reconnect backoff of a producer: from 300 ms, doubling, at most 2 s apart. */
const RECONNECT_INITIAL_MS = 300;
const RECONNECT_MAX_MS = 2000;

/**
 * kafkajs retry settings whose delays add up to about `windowMs`: kafkajs
 * retries a fixed number of times, so the window becomes a count. Exported for its unit test.
 */
export function reconnectRetry(windowMs: number): { retries: number; initialRetryTime: number; maxRetryTime: number; multiplier: number; factor: number } {
  let retries = 0;
  let total = 0;
  for (let delay = RECONNECT_INITIAL_MS; total < windowMs; delay = Math.min(delay * 2, RECONNECT_MAX_MS)) {
    total += delay;
    retries++;
  }
  return { retries, initialRetryTime: RECONNECT_INITIAL_MS, maxRetryTime: RECONNECT_MAX_MS, multiplier: 2, factor: 0.2 };
}

/** Applies the defaults and checks every option. Throws one {@link ConfigError} naming every problem. */
export function resolveProducerOptions(options: KafkaProducerOptions): ResolvedProducerOptions {
  const problems: string[] = [];
  const int = (name: string, value: number | undefined, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) => {
    if (value === undefined) return fallback;
    if (!Number.isInteger(value) || value < min || value > max) problems.push(`${name} must be an integer from ${min} to ${max} (got ${value})`);
    return value;
  };
  const idempotent = options.idempotent ?? true;
  const batchSize = int('batchSize', options.batchSize, 500, 1, 100_000);
  const maxInFlightSends = int('maxInFlightSends', options.maxInFlightSends, 4, 1, 1_000);
  const ackTimeoutMs = int('ackTimeoutMs', options.ackTimeoutMs, 30_000, 1);
  const outageTimeoutMs = int('outageTimeoutMs', options.outageTimeoutMs, 60_000, 0, 24 * 3600_000);
  const maxInFlightRequests = idempotent
    ? int('maxInFlightRequests', options.maxInFlightRequests, 5, 1, 5)
    : options.maxInFlightRequests === undefined
      ? undefined
      : int('maxInFlightRequests', options.maxInFlightRequests, 0, 1);
  const compressionName = options.compression ?? 'none';
  let compression: CompressionTypes = 0;
  try {
    compression = compressionType(compressionName);
  } catch (error) {
    problems.push(describeError(error));
  }
  if (problems.length > 0) throw new ConfigError(`invalid producer options: ${problems.join('; ')}`, { details: { problems } });
  return {
    idempotent,
    batchSize,
    maxInFlightSends,
    compression,
    compressionName,
    ackTimeoutMs,
    ...(maxInFlightRequests === undefined ? {} : { maxInFlightRequests }),
    allowAutoTopicCreation: options.allowAutoTopicCreation ?? false,
    outageTimeoutMs,
  };
}
