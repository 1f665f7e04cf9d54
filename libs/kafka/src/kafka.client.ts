import { Kafka, type KafkaConfig, type RetryOptions, type SASLOptions } from 'kafkajs';
import { componentLogger, TypedEmitter, type Logger } from '@userstream/core';
import { resolveConnectionOptions, type KafkaConnectionOptions, type ResolvedConnectionOptions } from './connection.options';
import type { ConsumerRunnerOptions } from './consumer.options';
import { ConsumerRunner } from './consumer.runner';
import { DeadLetterPublisher, type DeadLetterOptions } from './dead-letter.publisher';
import { KafkaAdmin } from './kafka.admin';
import type { KafkaContext } from './kafka.context';
import type { KafkaEvents } from './kafka.events';
import { kafkaLogCreator, toKafkaLogLevel } from './kafka.logger';
import { KafkaProducer } from './kafka.producer';
import type { KafkaProducerOptions } from './producer.options';
import { RecordProducer, type RecordProducerOptions } from './record.producer';

/**
 * The entry point: validated connection options, one kafkajs instance, one
 * event emitter shared by everything created from it, and factories for the
 * admin client, producers, dead-letter publisher and consumer runners.
 * Creating it does not connect; each component connects on first use.
 *
 * Throws {@link ConfigError} (from `@userstream/core`) for invalid options.
 *
 * @example
 * ```ts
 * const kafka = new KafkaClient({ brokers: ['127.0.0.1:9092'], clientId: 'ingest', logger });
 * kafka.events.on('kafka.batch_produced', (e) => produced.inc(e.records));
 * const producer = kafka.producer({ compression: 'gzip' });
 * ```
 */
export class KafkaClient implements KafkaContext {
  /** Options with defaults applied (the SASL password included: do not log this object). */
  readonly options: Readonly<ResolvedConnectionOptions>;
  /** The underlying kafkajs instance, for what this adapter does not cover. */
  readonly kafka: Kafka;
  /** Typed events of every component created from this client. */
  readonly events = new TypedEmitter<KafkaEvents>();
  /** The `kafka` component logger. */
  readonly logger: Logger;
  /** The kafkajs configuration, for instances with another retry budget. */
  private readonly config: KafkaConfig;
  private connectionError?: { at: number; message: string };

  constructor(options: KafkaConnectionOptions) {
    this.options = resolveConnectionOptions(options);
    this.logger = componentLogger(options.logger, 'kafka');
    const config: KafkaConfig = {
      brokers: [...this.options.brokers],
      clientId: this.options.clientId,
      connectionTimeout: this.options.connectionTimeoutMs,
      requestTimeout: this.options.requestTimeoutMs,
      // Enforced request timeouts turn a broker that stops answering into a retriable error.
      enforceRequestTimeout: true,
      retry: {
        retries: this.options.retry.retries,
        initialRetryTime: this.options.retry.initialRetryTimeMs,
        maxRetryTime: this.options.retry.maxRetryTimeMs,
      },
      logLevel: toKafkaLogLevel(this.options.kafkaLogLevel),
      logCreator: kafkaLogCreator(this.logger, (message) => {
        this.connectionError = { at: Date.now(), message };
      }),
    };
    if (this.options.ssl !== undefined) config.ssl = this.options.ssl;
    if (this.options.sasl) {
      // Validated above to one of kafkajs's three username/password mechanisms.
      const { mechanism, username, password } = this.options.sasl;
      config.sasl = { mechanism, username, password } as SASLOptions;
    }
    this.config = config;
    this.kafka = new Kafka(config);
  }

  /**
   * The last connection error kafkajs reported (it retries them itself), when
   * it happened no longer than `withinMs` ago.
   */
  recentConnectionError(withinMs: number): { at: number; message: string } | undefined {
    const last = this.connectionError;
    return last && Date.now() - last.at <= withinMs ? { ...last } : undefined;
  }

  /**
   * A kafkajs instance with this client's configuration but another retry
   * budget. kafkajs reconnects a component's brokers with the retry of the
   * instance that created it, so a producer that must ride out a broker
   * restart gets an instance of its own.
   */
  kafkajsWithRetry(retry: RetryOptions): Kafka {
    return new Kafka({ ...this.config, retry });
  }

  /** A new admin client (topics, offsets, lag). */
  admin(): KafkaAdmin {
    return new KafkaAdmin(this);
  }

  /** A new producer for raw messages to any topic. */
  producer(options: KafkaProducerOptions = {}): KafkaProducer {
    return new KafkaProducer(this, options);
  }

  /** A new producer bound to one topic and a serializer. */
  recordProducer<T>(options: RecordProducerOptions<T>): RecordProducer<T> {
    return new RecordProducer<T>(this, options);
  }

  /** A new dead-letter publisher (`<topic>.dlq` by default). */
  deadLetterPublisher(options: DeadLetterOptions = {}): DeadLetterPublisher {
    return new DeadLetterPublisher(this, options);
  }

  /** A new consumer runner for a consumer group. */
  consumerRunner<T>(options: ConsumerRunnerOptions<T>): ConsumerRunner<T> {
    return new ConsumerRunner<T>(this, options);
  }
}
