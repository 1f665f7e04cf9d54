import { policies, types } from 'cassandra-driver';
import { ConfigError } from '@userstream/core';
import { IdempotentWriteRetryPolicy } from './retry.policy';
import { buildClientOptions, contactPointProblem, DEFAULT_WRITE_OPTIONS, resolveReplication, resolveSinkOptions, resolveWriteOptions } from './sink.options';

const valid = { contactPoints: ['127.0.0.1:9042'], localDataCenter: 'datacenter1', keyspace: 'userstream' };

function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveSinkOptions', () => {
  it('fills in the defaults', () => {
    const o = resolveSinkOptions(valid);
    expect(o).toMatchObject({
      contactPoints: ['127.0.0.1:9042'],
      localDataCenter: 'datacenter1',
      keyspace: 'userstream',
      tableNames: { reference: 'users_created', users: 'users' },
      consistency: 'LOCAL_QUORUM',
      requestTimeoutMs: 5_000,
      speculativeDelayMs: 1_000,
      connectTimeoutMs: 5_000,
      connectionsPerHost: 1,
      maxRequestsPerConnection: 2048,
    });
    expect(o.write).toEqual(DEFAULT_WRITE_OPTIONS);
    expect(o.write.tables).toEqual(['users']);
    expect(o.write).toMatchObject({ concurrency: 256, batchRows: 32, batchBytes: 40_960 });
    expect(o.ssl).toBeUndefined();
  });

  it('names every invalid option in one error', () => {
    const error = configError(() =>
      resolveSinkOptions({
        contactPoints: ['ok-host', 'host:notaport', ''],
        localDataCenter: ' ',
        keyspace: 'bad-name',
        consistency: 'SOMETIMES' as never,
        requestTimeoutMs: 0,
        write: { concurrency: 0, tables: ['nope' as never], ttlSeconds: -1, batchRows: 0, batchBytes: 100 },
      }),
    );
    expect(error.message).toMatch(/^invalid Cassandra sink options: /);
    for (const part of [
      'contactPoints[1]: port must be an integer from 1 to 65535 (got "notaport")',
      'contactPoints[2]: must be a non-empty',
      'localDataCenter: required',
      'keyspace: must start with a letter',
      'consistency: must be one of ANY, ONE, TWO, THREE, QUORUM, ALL, LOCAL_QUORUM, EACH_QUORUM, LOCAL_ONE (got "SOMETIMES")',
      'requestTimeoutMs: must be an integer from 1 to 600000 (got 0)',
      'write.concurrency: must be an integer from 1 to 4096 (got 0)',
      'write.batchRows: must be an integer from 1 to 1000 (got 0)',
      'write.batchBytes: must be an integer from 1024 to 268435456 (got 100)',
      "write.tables: must be a non-empty list of 'reference' and/or 'users'",
      'write.ttlSeconds: must be an integer from 0 to 630720000 (got -1)',
    ]) {
      expect(error.message).toContain(part);
    }
    expect(error.message).not.toContain('contactPoints[0]');
  });

  it('requires contact points and credentials with a username', () => {
    expect(configError(() => resolveSinkOptions({ ...valid, contactPoints: [] })).message).toContain('contactPoints: must list at least one');
    expect(configError(() => resolveSinkOptions({ ...valid, credentials: { username: '', password: 'x' } })).message).toContain('credentials: must be');
  });

  it('rejects table names that collide', () => {
    expect(configError(() => resolveSinkOptions({ ...valid, tableNames: { reference: 'Users', users: 'users' } })).message).toContain(
      'tableNames: reference and users must differ',
    );
  });

  it('checks certificates whenever TLS is on, unless told otherwise', () => {
    expect(resolveSinkOptions({ ...valid, ssl: true }).ssl).toEqual({ rejectUnauthorized: true });
    expect(resolveSinkOptions({ ...valid, ssl: { servername: 'db' } }).ssl).toEqual({ rejectUnauthorized: true, servername: 'db' });
    expect(resolveSinkOptions({ ...valid, ssl: { rejectUnauthorized: false } }).ssl).toEqual({ rejectUnauthorized: false });
    expect(resolveSinkOptions({ ...valid, ssl: false }).ssl).toBeUndefined();
  });
});

describe('contactPointProblem', () => {
  it.each(['localhost', '127.0.0.1', '127.0.0.1:9042', 'cassandra.internal:19042', '::1', '[::1]:9042'])('accepts %s', (cp) => {
    expect(contactPointProblem(cp)).toBeUndefined();
  });
  it.each([
    ['127.0.0.1:0', /port must be/],
    ['127.0.0.1:70000', /port must be/],
    [':9042', /host is empty/],
    ['[nothost]:9042', /IPv6/],
    ['a b', /spaces/],
    [42, /non-empty/],
  ])('rejects %s', (cp, why) => {
    expect(contactPointProblem(cp)).toMatch(why);
  });
});

describe('resolveWriteOptions', () => {
  it('overrides the sink defaults per call', () => {
    const base = resolveSinkOptions({ ...valid, write: { concurrency: 16 } }).write;
    expect(resolveWriteOptions(base, { tables: ['reference', 'users', 'users'], ttlSeconds: 60 })).toEqual({
      ...DEFAULT_WRITE_OPTIONS,
      concurrency: 16,
      tables: ['reference', 'users'],
      ttlSeconds: 60,
    });
    expect(() => resolveWriteOptions(base, { initialDelayMs: 10, maxDelayMs: 5 })).toThrow('initialDelayMs (10) must not exceed maxDelayMs (5)');
  });
});

describe('resolveReplication', () => {
  it('defaults to SimpleStrategy RF 1 and validates both strategies', () => {
    expect(resolveReplication(undefined)).toEqual({ class: 'SimpleStrategy', replicationFactor: 1 });
    expect(resolveReplication({ class: 'NetworkTopologyStrategy', dataCenters: { dc1: 3 } })).toEqual({
      class: 'NetworkTopologyStrategy',
      dataCenters: { dc1: 3 },
    });
    expect(() => resolveReplication({ class: 'SimpleStrategy', replicationFactor: 0 })).toThrow(ConfigError);
    expect(() => resolveReplication({ class: 'NetworkTopologyStrategy', dataCenters: {} })).toThrow(/at least one data center/);
    expect(() => resolveReplication({ class: 'Other' } as never)).toThrow(/replication.class/);
  });
});

describe('buildClientOptions', () => {
  it('prepares, marks writes idempotent, keeps many requests in flight and retries idempotent writes', () => {
    const o = buildClientOptions(
      resolveSinkOptions({ ...valid, consistency: 'LOCAL_ONE', credentials: { username: 'u', password: 'p' }, connectionsPerHost: 2, requestTimeoutMs: 3000 }),
    );
    expect(o.queryOptions).toEqual({ prepare: true, isIdempotent: true, consistency: types.consistencies.localOne, captureStackTrace: false });
    expect(o.pooling).toEqual({ coreConnectionsPerHost: { [types.distance.local]: 2, [types.distance.remote]: 1 }, maxRequestsPerConnection: 2048 });
    expect(o.socketOptions).toEqual({ connectTimeout: 5000, readTimeout: 3000 });
    expect(o.policies?.retry).toBeInstanceOf(IdempotentWriteRetryPolicy);
    // A write unanswered for a second goes once more to the next node; migrate() waits for schema agreement itself.
    const speculative = o.policies?.speculativeExecution as policies.speculativeExecution.ConstantSpeculativeExecutionPolicy;
    expect(speculative).toBeInstanceOf(policies.speculativeExecution.ConstantSpeculativeExecutionPolicy);
    expect(Object.fromEntries(speculative.getOptions())).toEqual({ delay: 1000, maxSpeculativeExecutions: 1 });
    expect(o.protocolOptions).toEqual({ maxSchemaAgreementWaitSeconds: 0 });
    expect(buildClientOptions(resolveSinkOptions({ ...valid, speculativeDelayMs: 0 })).policies?.speculativeExecution).toBeUndefined();
    expect(o.credentials).toEqual({ username: 'u', password: 'p' });
    expect(o.contactPoints).toEqual(['127.0.0.1:9042']);
    expect(o.localDataCenter).toBe('datacenter1');
    // The session is keyspace-free: statements name their keyspace, so connecting never needs it to exist.
    expect(o.keyspace).toBeUndefined();
    expect(buildClientOptions(resolveSinkOptions(valid)).queryOptions?.consistency).toBe(types.consistencies.localQuorum);
  });
});
