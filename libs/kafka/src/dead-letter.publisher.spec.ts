import { UserstreamError } from '@userstream/core';
import { DEAD_LETTER_HEADERS, DeadLetterPublisher, errorCode } from './dead-letter.publisher';
import { KafkaClient } from './kafka.client';

describe('DeadLetterPublisher.toMessage', () => {
  const client = new KafkaClient({ brokers: ['127.0.0.1:9'] });

  it('keeps the original key, value and headers and adds the dlq-* headers', () => {
    const dlq = new DeadLetterPublisher(client, { ensureTopic: false });
    const value = Buffer.from([0xc3, 0x01, 0xff]);
    const key = Buffer.from('user-1');
    const message = dlq.toMessage(
      {
        topic: 'users_created',
        partition: 2,
        offset: '41',
        key,
        value,
        headers: { 'userstream-run-id': 'run-9', [DEAD_LETTER_HEADERS.stage]: 'stale' },
        error: new UserstreamError('unknown schema fingerprint', { code: 'RECORD_UNDECODABLE' }),
        stage: 'decode',
      },
      new Date('2026-05-01T10:00:00.000Z'),
    );
    expect(message.key).toBe(key);
    expect(message.value).toBe(value);
    expect(message.headers).toEqual({
      'userstream-run-id': 'run-9',
      'dlq-error-code': 'RECORD_UNDECODABLE',
      'dlq-error-message': 'unknown schema fingerprint',
      'dlq-original-topic': 'users_created',
      'dlq-original-partition': '2',
      'dlq-original-offset': '41',
      'dlq-time': '2026-05-01T10:00:00.000Z',
      'dlq-stage': 'decode',
    });
    expect(dlq.deadLetterTopic('users_created')).toBe('users_created.dlq');
  });

  it('shortens long messages and names the topic with topicFor', () => {
    const dlq = new DeadLetterPublisher(client, { ensureTopic: false, maxErrorMessageLength: 10, topicFor: (t) => `dead.${t}` });
    const message = dlq.toMessage({ topic: 't', partition: 0, offset: '0', key: null, value: null, error: new Error('x'.repeat(50)), stage: 'write' });
    expect(message.headers?.[DEAD_LETTER_HEADERS.errorMessage]).toBe(`${'x'.repeat(9)}…`);
    expect(message.headers?.[DEAD_LETTER_HEADERS.errorCode]).toBe('UNKNOWN');
    expect(dlq.deadLetterTopic('t')).toBe('dead.t');
  });

  it('derives a code from any error', () => {
    expect(errorCode(new UserstreamError('x', { code: 'A' }))).toBe('A');
    expect(errorCode(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBe('ECONNRESET');
    expect(errorCode('text')).toBe('UNKNOWN');
  });
});
