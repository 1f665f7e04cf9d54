import { logLevel, type LogEntry } from 'kafkajs';
import type { Logger } from '@userstream/core';
import { kafkaLogCreator, toKafkaLogLevel } from './kafka.logger';

function recordingLogger() {
  const calls: Array<{ level: string; obj: Record<string, unknown>; msg?: string }> = [];
  let bindings: Record<string, unknown> = {};
  const at =
    (level: string) =>
    (obj: object | string, msg?: string): void => {
      calls.push(typeof obj === 'string' ? { level, obj: { ...bindings }, msg: obj } : { level, obj: { ...bindings, ...obj }, ...(msg === undefined ? {} : { msg }) });
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

  it('maps level names to kafkajs levels', () => {
    expect(toKafkaLogLevel('warn')).toBe(logLevel.WARN);
    expect(toKafkaLogLevel('nothing')).toBe(logLevel.NOTHING);
    expect(toKafkaLogLevel('debug')).toBe(logLevel.DEBUG);
  });
});
