import { logLevel as KafkaLogLevel, type logCreator, type LogEntry } from 'kafkajs';
import type { Logger } from '@userstream/core';

/** The kafkajs log levels, by name. */
export type KafkaLogLevelName = 'nothing' | 'error' | 'warn' | 'info' | 'debug';

const LEVELS: Record<KafkaLogLevelName, KafkaLogLevel> = {
  nothing: KafkaLogLevel.NOTHING,
  error: KafkaLogLevel.ERROR,
  warn: KafkaLogLevel.WARN,
  info: KafkaLogLevel.INFO,
  debug: KafkaLogLevel.DEBUG,
};

/** Converts a level name to kafkajs's numeric level. */
export function toKafkaLogLevel(name: KafkaLogLevelName): KafkaLogLevel {
  return LEVELS[name];
}

/** kafkajs namespaces whose errors mean "a broker cannot be reached". */
const CONNECTION_NAMESPACES = new Set(['Connection', 'BrokerPool', 'Cluster']);

/**
 * Broker answers kafkajs retries by itself (the retriable protocol errors of
 * kafkajs's error table that show up while a broker or group starts), which
 * its Connection logs at error level: normal start-up noise, so debug here.
 */
const RETRIED_RESPONSE_ERRORS = new Set([
  "The coordinator is loading and hence can't process requests for this group",
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  'There is no leader for this topic-partition as we are in the middle of a leadership election',
  'This server is not the leader for that topic-partition',
  'This server does not host this topic-partition',
  'The replica is not available for the requested topic-partition',
  'The leader high watermark has not caught up from a recent leader election so the offsets cannot be guaranteed to be monotonically increasing',
  'The leader epoch in the request is older than the epoch on the broker',
  'The leader epoch in the request is newer than the epoch on the broker',
  'This is not the correct controller for this cluster',
]);

/**
 * A kafkajs `logCreator` that routes kafkajs's own logs into a pino-compatible
 * logger as structured entries (`kafkajsNamespace`, and kafkajs's fields).
 * kafkajs filters by its `logLevel` before calling it. `onConnectionError`
 * hears every connection error kafkajs logs (it retries them by itself), so a
 * caller can say why it is waiting.
 */
export function kafkaLogCreator(logger: Logger, onConnectionError?: (message: string) => void): logCreator {
  const child = logger.child({ source: 'kafkajs' });
  return () =>
    ({ namespace, level, log }: LogEntry) => {
      // kafkajs puts message, timestamp and logger name beside its fields; keep the fields only.
      const entry: Record<string, unknown> = { kafkajsNamespace: namespace, ...log };
      const message = String(entry.message);
      if (onConnectionError && level === KafkaLogLevel.ERROR && CONNECTION_NAMESPACES.has(namespace)) onConnectionError(message);
      delete entry.message;
      delete entry.timestamp;
      delete entry.logger;
      const retried = level === KafkaLogLevel.ERROR && namespace === 'Connection' && RETRIED_RESPONSE_ERRORS.has(String(entry.error));
      switch (retried ? KafkaLogLevel.DEBUG : level) {
        case KafkaLogLevel.ERROR:
          child.error(entry, message);
          break;
        case KafkaLogLevel.WARN:
          child.warn(entry, message);
          break;
        case KafkaLogLevel.INFO:
          child.info(entry, message);
          break;
        default:
          child.debug(entry, message);
      }
    };
}
