import type { Kafka, RetryOptions } from 'kafkajs';
import type { Logger, TypedEmitter } from '@userstream/core';
import type { ResolvedConnectionOptions } from './connection.options';
import type { KafkaEvents } from './kafka.events';

/**
 * What a component (admin, producers, dead-letter publisher, consumer runner,
 * topic reader) needs from the client that created it. {@link KafkaClient}
 * implements it; components depend on this interface, never on the client,
 * so the client can construct them without an import cycle.
 */
export interface KafkaContext {
  /** Connection options with defaults applied (the SASL password included: do not log this object). */
  readonly options: Readonly<ResolvedConnectionOptions>;
  /** The shared kafkajs instance. */
  readonly kafka: Kafka;
  /** Typed events of every component created from the same client. */
  readonly events: TypedEmitter<KafkaEvents>;
  /** The `kafka` component logger. */
  readonly logger: Logger;
  /** The last connection error kafkajs reported, when it happened no longer than `withinMs` ago. */
  recentConnectionError(withinMs: number): { at: number; message: string } | undefined;
  /** A kafkajs instance with the same configuration but another retry budget. */
  kafkajsWithRetry(retry: RetryOptions): Kafka;
}
