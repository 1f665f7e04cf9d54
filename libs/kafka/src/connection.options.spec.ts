import { ConfigError } from '@userstream/core';
import { checkBrokerAddress, resolveConnectionOptions } from './connection.options';
import { KafkaClient } from './kafka.client';

function problemsOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('resolveConnectionOptions', () => {
  it('applies defaults', () => {
    expect(resolveConnectionOptions({ brokers: [' 127.0.0.1:9092 '] })).toEqual({
      brokers: ['127.0.0.1:9092'],
      clientId: 'userstream',
      connectionTimeoutMs: 3_000,
      requestTimeoutMs: 30_000,
      retry: { retries: 5, initialRetryTimeMs: 300, maxRetryTimeMs: 30_000 },
      kafkaLogLevel: 'warn',
    });
  });

  it('accepts hostnames, IPv4 and bracketed IPv6 addresses', () => {
    for (const address of ['kafka:9092', 'b-1.example.com:9094', '10.0.0.1:1', '[::1]:9092']) expect(checkBrokerAddress(address)).toBeUndefined();
  });

  it('rejects empty broker lists and malformed addresses, naming each', () => {
    expect(problemsOf(() => resolveConnectionOptions({ brokers: [] }))).toContain('brokers must list at least one "host:port" address');
    const message = problemsOf(() => resolveConnectionOptions({ brokers: ['kafka', 'kafka:0', 'kafka:70000', 'http://kafka:9092', ''] }));
    expect(message).toContain('"kafka" must look like "host:port"');
    expect(message).toContain('"kafka:0" has port 0, outside 1-65535');
    expect(message).toContain('"kafka:70000" has port 70000');
    expect(message).toContain('"http://kafka:9092" must look like "host:port"');
    expect(message).toContain('non-empty "host:port" string');
  });

  it('checks SASL: mechanism, username and password', () => {
    const message = problemsOf(() => resolveConnectionOptions({ brokers: ['k:1'], sasl: { mechanism: 'gssapi' as 'plain', username: '', password: '' } }));
    expect(message).toContain('sasl.mechanism must be one of plain, scram-sha-256, scram-sha-512 (got "gssapi")');
    expect(message).toContain('sasl.username is required');
    expect(message).toContain('sasl.password is required');
    expect(problemsOf(() => resolveConnectionOptions({ brokers: ['k:1'], sasl: { mechanism: 'plain', username: 'u' } as never }))).toContain(
      'sasl.password is required',
    );
    expect(resolveConnectionOptions({ brokers: ['k:1'], sasl: { mechanism: 'SCRAM-SHA-512' as 'scram-sha-512', username: 'u', password: 'p' } }).sasl).toEqual({
      mechanism: 'scram-sha-512',
      username: 'u',
      password: 'p',
    });
  });

  it('never puts the password in the error message', () => {
    const message = problemsOf(() => resolveConnectionOptions({ brokers: [], sasl: { mechanism: 'plain', username: 'u', password: 'hunter2' } }));
    expect(message).not.toContain('hunter2');
  });

  it('checks timeouts, ssl and the kafkajs log level', () => {
    const message = problemsOf(() =>
      resolveConnectionOptions({ brokers: ['k:1'], connectionTimeoutMs: 0, requestTimeoutMs: 1.5, ssl: 'yes' as never, kafkaLogLevel: 'loud' as never }),
    );
    expect(message).toContain('connectionTimeoutMs must be an integer >= 1 (got 0)');
    expect(message).toContain('requestTimeoutMs must be an integer >= 1 (got 1.5)');
    expect(message).toContain('ssl must be a boolean or Node TLS connection options');
    expect(message).toContain('kafkaLogLevel must be one of nothing, error, warn, info, debug');
  });

  it('is applied by KafkaClient', () => {
    expect(() => new KafkaClient({ brokers: ['nope'] })).toThrow(ConfigError);
    const client = new KafkaClient({ brokers: ['127.0.0.1:9092'], clientId: 'x', ssl: { rejectUnauthorized: false } });
    expect(client.options.clientId).toBe('x');
    expect(client.options.ssl).toEqual({ rejectUnauthorized: false });
  });
});
