import { errors, types } from 'cassandra-driver';
import { UserstreamError } from '@userstream/core';
import { classifyDriverError, SinkError, SinkErrorCode, wrapDriverError } from './sink.errors';

const codes = types.responseErrorCodes;
const response = (code: number) => new errors.ResponseError(code, 'server said no');

describe('classifyDriverError', () => {
  it.each([
    ['writeTimeout', codes.writeTimeout, SinkErrorCode.TIMEOUT],
    ['readTimeout', codes.readTimeout, SinkErrorCode.TIMEOUT],
    ['unavailableException', codes.unavailableException, SinkErrorCode.UNAVAILABLE],
    ['overloaded', codes.overloaded, SinkErrorCode.OVERLOADED],
    ['isBootstrapping', codes.isBootstrapping, SinkErrorCode.UNAVAILABLE],
    ['serverError', codes.serverError, SinkErrorCode.SERVER_ERROR],
    ['writeFailure', codes.writeFailure, SinkErrorCode.SERVER_ERROR],
  ])('treats ResponseError %s as retriable', (_name, code, expected) => {
    expect(classifyDriverError(response(code))).toEqual({ code: expected, retriable: true });
  });

  it.each([
    ['syntaxError', codes.syntaxError, SinkErrorCode.INVALID_QUERY],
    ['invalid', codes.invalid, SinkErrorCode.INVALID_QUERY],
    ['configError', codes.configError, SinkErrorCode.INVALID_QUERY],
    ['unauthorized', codes.unauthorized, SinkErrorCode.UNAUTHORIZED],
    ['badCredentials', codes.badCredentials, SinkErrorCode.UNAUTHORIZED],
  ])('treats ResponseError %s as permanent', (_name, code, expected) => {
    expect(classifyDriverError(response(code))).toEqual({ code: expected, retriable: false });
  });

  it('retries client-side timeouts, busy connections and unreachable hosts', () => {
    expect(classifyDriverError(new errors.OperationTimedOutError('no answer', '127.0.0.1:9042'))).toEqual({ code: SinkErrorCode.TIMEOUT, retriable: true });
    expect(classifyDriverError(new errors.BusyConnectionError('127.0.0.1:9042', 2048, 1))).toEqual({ code: SinkErrorCode.UNAVAILABLE, retriable: true });
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9042'), { code: 'ECONNREFUSED' });
    expect(classifyDriverError(new errors.NoHostAvailableError({ '127.0.0.1:9042': refused }))).toEqual({ code: SinkErrorCode.UNAVAILABLE, retriable: true });
    expect(classifyDriverError(new errors.NoHostAvailableError({}))).toEqual({ code: SinkErrorCode.UNAVAILABLE, retriable: true });
    expect(classifyDriverError(refused)).toEqual({ code: SinkErrorCode.UNAVAILABLE, retriable: true });
  });

  it('does not retry when every host rejected the credentials', () => {
    const auth = new errors.AuthenticationError('Provided username and/or password are incorrect');
    expect(classifyDriverError(new errors.NoHostAvailableError({ a: auth, b: auth }))).toEqual({ code: SinkErrorCode.UNAUTHORIZED, retriable: false });
    expect(classifyDriverError(auth)).toEqual({ code: SinkErrorCode.UNAUTHORIZED, retriable: false });
  });

  it('does not retry a setting the cluster contradicts, such as an unknown local data center', () => {
    const dc = new errors.ArgumentError("localDataCenter was configured as 'x', but only found hosts in data centers: [datacenter1]");
    expect(classifyDriverError(new errors.NoHostAvailableError({ '127.0.0.1:9042': dc }))).toEqual({ code: SinkErrorCode.INVALID_QUERY, retriable: false });
    const refused = Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
    expect(classifyDriverError(new errors.NoHostAvailableError({ a: dc, b: refused }))).toEqual({ code: SinkErrorCode.UNAVAILABLE, retriable: true });
  });

  it('treats values the driver cannot encode as invalid records', () => {
    expect(classifyDriverError(new TypeError('Not a valid Uuid'))).toEqual({ code: SinkErrorCode.INVALID_RECORD, retriable: false });
    expect(classifyDriverError(new errors.ArgumentError('bad'))).toEqual({ code: SinkErrorCode.INVALID_RECORD, retriable: false });
  });

  it('does not retry what it does not know', () => {
    expect(classifyDriverError(new Error('something odd'))).toEqual({ code: SinkErrorCode.UNKNOWN, retriable: false });
    expect(classifyDriverError('a string')).toEqual({ code: SinkErrorCode.UNKNOWN, retriable: false });
  });
});

describe('wrapDriverError', () => {
  it('adds context, keeps the cause and the server details', () => {
    const cause = Object.assign(response(codes.writeTimeout), { writeType: 'SIMPLE', received: 0, blockFor: 1 });
    const wrapped = wrapDriverError(cause, 'writing record 3 to users');
    expect(wrapped).toBeInstanceOf(SinkError);
    expect(wrapped).toBeInstanceOf(UserstreamError);
    expect(wrapped.name).toBe('SinkError');
    expect(wrapped.message).toBe('writing record 3 to users: server said no');
    expect(wrapped.cause).toBe(cause);
    expect(wrapped.retriable).toBe(true);
    expect(wrapped.details).toMatchObject({ driverError: 'ResponseError', driverCode: codes.writeTimeout, writeType: 'SIMPLE', received: 0, blockFor: 1 });
  });

  it('lets the caller fix the code while keeping the retriable decision', () => {
    const wrapped = wrapDriverError(new errors.NoHostAvailableError({}), 'creating Cassandra session', { code: SinkErrorCode.CONNECT_FAILED });
    expect(wrapped).toMatchObject({ code: 'SINK_CONNECT_FAILED', retriable: true });
    expect(wrapped.message).toMatch(/^creating Cassandra session: All host\(s\) tried for query failed/);
  });

  it('says on one line why each host failed', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9042'), { code: 'ECONNREFUSED' });
    const dc = new errors.ArgumentError("localDataCenter was configured as 'x',\n but only found [datacenter1]");
    const wrapped = wrapDriverError(new errors.NoHostAvailableError({ '127.0.0.1:9042': refused, '10.0.0.2:9042': dc }), 'creating Cassandra session');
    expect(wrapped.message).toBe(
      "creating Cassandra session: no host could serve the request (127.0.0.1:9042: connect ECONNREFUSED 127.0.0.1:9042; 10.0.0.2:9042: localDataCenter was configured as 'x', but only found [datacenter1])",
    );
  });

  it('passes a SinkError through unchanged', () => {
    const error = new SinkError('x', { code: SinkErrorCode.INVALID_RECORD });
    expect(wrapDriverError(error, 'ctx')).toBe(error);
  });
});
