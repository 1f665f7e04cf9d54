import { ConfigError, UserstreamError } from '@userstream/core';
import { KafkaJSConnectionError, KafkaJSError, KafkaJSNonRetriableError, KafkaJSNumberOfRetriesExceeded, KafkaJSProtocolError } from 'kafkajs';
import { isRebalanceError, isVendorRetriable, KafkaError, wrapKafkaError } from './kafka.errors';

// kafkajs's typings leave out the options argument its error classes take.
const NonRetriable = KafkaJSNonRetriableError as unknown as new (e: unknown, options?: { cause?: unknown }) => Error;
const RetriesExceeded = KafkaJSNumberOfRetriesExceeded as unknown as new (e: Error, options: { retryCount: number; retryTime: number }) => Error;

function protocolError(type: string, retriable: boolean): KafkaJSProtocolError {
  return new KafkaJSProtocolError({ message: `${type} happened`, type, code: 1, retriable } as never);
}

describe('wrapKafkaError', () => {
  it('wraps with context, code, retriable flag and the vendor error as cause', () => {
    const vendor = new KafkaJSConnectionError('Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    const wrapped = wrapKafkaError(vendor, 'connecting producer', 'KAFKA_CONNECT_FAILED');
    expect(wrapped).toBeInstanceOf(KafkaError);
    expect(wrapped).toBeInstanceOf(UserstreamError);
    expect(wrapped.name).toBe('KafkaError');
    expect(wrapped.message).toBe('connecting producer: Connection error: connect ECONNREFUSED 127.0.0.1:9092');
    expect(wrapped.code).toBe('KAFKA_CONNECT_FAILED');
    expect(wrapped.retriable).toBe(true);
    expect(wrapped.cause).toBe(vendor);
    expect(wrapped.details).toMatchObject({ vendorError: 'KafkaJSConnectionError' });
  });

  it('keeps userstream errors unchanged', () => {
    const original = new ConfigError('bad');
    expect(wrapKafkaError(original, 'x', 'KAFKA_ADMIN_FAILED')).toBe(original);
  });

  it('follows the cause of kafkajs "gave up" wrappers to decide retriable', () => {
    const refused = new KafkaJSConnectionError('refused');
    expect(isVendorRetriable(new RetriesExceeded(refused, { retryCount: 5, retryTime: 100 }))).toBe(true);
    expect(isVendorRetriable(new NonRetriable(refused, { cause: refused }))).toBe(true);
    const denied = protocolError('TOPIC_AUTHORIZATION_FAILED', false);
    expect(isVendorRetriable(new RetriesExceeded(denied, { retryCount: 5, retryTime: 100 }))).toBe(false);
    expect(isVendorRetriable(new NonRetriable('plain failure'))).toBe(false);
  });

  it('uses the kafkajs flag otherwise, and knows socket errors', () => {
    expect(isVendorRetriable(protocolError('LEADER_NOT_AVAILABLE', true))).toBe(true);
    expect(isVendorRetriable(protocolError('INVALID_TOPIC_EXCEPTION', false))).toBe(false);
    expect(isVendorRetriable(new KafkaJSError('x', { retriable: true }))).toBe(true);
    expect(isVendorRetriable(Object.assign(new Error('reset'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isVendorRetriable(new Error('plain'))).toBe(false);
    expect(isVendorRetriable('text')).toBe(false);
  });

  it('adds the root cause to the message once', () => {
    const root = protocolError('NOT_LEADER_OR_FOLLOWER', true);
    const wrapped = wrapKafkaError(new RetriesExceeded(root, { retryCount: 5, retryTime: 100 }), 'producing 3 records to t', 'KAFKA_PRODUCE_FAILED');
    expect(wrapped.message).toBe('producing 3 records to t: NOT_LEADER_OR_FOLLOWER happened');
    expect(wrapped.details).toMatchObject({ vendorError: 'KafkaJSNumberOfRetriesExceeded', rootErrorType: 'NOT_LEADER_OR_FOLLOWER' });
  });
});

describe('isRebalanceError', () => {
  it('recognises the group errors that require a rejoin, also when wrapped', () => {
    for (const type of ['REBALANCE_IN_PROGRESS', 'ILLEGAL_GENERATION', 'UNKNOWN_MEMBER_ID', 'NOT_COORDINATOR'])
      expect(isRebalanceError(protocolError(type, true))).toBe(true);
    expect(isRebalanceError(new RetriesExceeded(protocolError('REBALANCE_IN_PROGRESS', true), { retryCount: 1, retryTime: 1 }))).toBe(true);
    expect(isRebalanceError(protocolError('LEADER_NOT_AVAILABLE', true))).toBe(false);
    expect(isRebalanceError(new Error('x'))).toBe(false);
    expect(isRebalanceError(undefined)).toBe(false);
  });
});
