import { logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '@userstream/core';
import { kafkaLogCreator, toKafkaLogLevel } from './kafka.logger';

function recordingLogger() {
  const calls: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  let bindings: Record<string, unknown> = {};
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      calls.push(
        typeof obj === 'string' ? { level, obj: { ...bindings }, msg: obj } : { level, obj: { ...bindings, ...obj }, ...(msg === undefined ? {} : { msg }) },
      );
    };
  const logger: Logger = {
    trace: at('trace'),
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (more) => {
      bindings = { ...bindings, ...more };
      return logger;
    },
  };
  return { logger, calls };
}

function entry(level: logLevel, message: string, extra: Record<string, unknown> = {}): LogEntry {
  return { namespace: 'Connection', level, label: 'X', log: { timestamp: '2026-01-01T00:00:00Z', logger: 'kafkajs', message, ...extra } as LogEntry['log'] };
}

describe('kafkaLogCreator', () => {
  it('routes each kafkajs level to the same pino level with kafkajs fields as data', () => {
    const { logger, calls } = recordingLogger();
    const log = kafkaLogCreator(logger)(logLevel.DEBUG);
    log(entry(logLevel.ERROR, 'Response Produce', { broker: '127.0.0.1:9092', error: 'boom' }));
    log(entry(logLevel.WARN, 'slow'));
    log(entry(logLevel.INFO, 'Starting'));
    log(entry(logLevel.DEBUG, 'Request'));
    expect(calls.map((c) => [c.level, c.msg])).toEqual([
      ['error', 'Response Produce'],
      ['warn', 'slow'],
      ['info', 'Starting'],
      ['debug', 'Request'],
    ]);
    expect(calls[0].obj).toEqual({ source: 'kafkajs', kafkajsNamespace: 'Connection', broker: '127.0.0.1:9092', error: 'boom' });
  });

  it('logs broker answers kafkajs retries by itself (a loading coordinator at start-up) at debug, other errors at error', () => {
    const { logger, calls } = recordingLogger();
    const log = kafkaLogCreator(logger)(logLevel.ERROR);
    log(
      entry(logLevel.ERROR, 'Response FindCoordinator(key: 10, version: 2)', {
        error: "The coordinator is loading and hence can't process requests for this group",
      }),
    );
    log(
      entry(logLevel.ERROR, 'Response Metadata(key: 3, version: 6)', {
        error: 'There is no leader for this topic-partition as we are in the middle of a leadership election',
      }),
    );
    log(entry(logLevel.ERROR, 'Response SaslAuthenticate(key: 36, version: 1)', { error: 'Request is not valid given the current SASL state' }));
    log({
      ...entry(logLevel.ERROR, 'Crash: KafkaJSNumberOfRetriesExceeded', {
        error: "The coordinator is loading and hence can't process requests for this group",
      }),
      namespace: 'Consumer',
    });
    expect(calls.map((c) => c.level)).toEqual(['debug', 'debug', 'error', 'error']);
  });

  it('treats as retried only messages kafkajs itself marks retriable', () => {
    const table = jest.requireActual<{ errorCodes: Array<{ message: string; retriable: boolean }> }>('kafkajs/src/protocol/error').errorCodes;
    const retriable = new Set(table.filter((e) => e.retriable).map((e) => e.message));
    const { logger, calls } = recordingLogger();
    const log = kafkaLogCreator(logger)(logLevel.ERROR);
    for (const e of table) log(entry(logLevel.ERROR, 'Response X', { error: e.message }));
    const demoted = table.filter((_, i) => calls[i].level === 'debug').map((e) => e.message);
    expect(demoted.length).toBeGreaterThan(5);
    expect(demoted.filter((m) => !retriable.has(m))).toEqual([]);
  });

  it('maps level names to kafkajs levels', () => {
    expect(toKafkaLogLevel('warn')).toBe(logLevel.WARN);
    expect(toKafkaLogLevel('nothing')).toBe(logLevel.NOTHING);
    expect(toKafkaLogLevel('debug')).toBe(logLevel.DEBUG);
  });
});
