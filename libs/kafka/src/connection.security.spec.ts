import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '@userstream/core';
import {
  kafkaSecurityConfigSpec,
  kafkaSecurityOptions,
  resolveConnectionOptions,
  schemaRegistryAuth,
  schemaRegistryCredentialsSpec,
} from './connection.options';

const dir = mkdtempSync(join(tmpdir(), 'userstream-kafka-tls-'));
const pem = (name: string, text: string) => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const security = (env: Record<string, string>) => kafkaSecurityOptions(loadConfig(kafkaSecurityConfigSpec, env));

function messageOf(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('Kafka security settings', () => {
  it('are off by default', () => {
    expect(security({})).toEqual({});
  });

  it('read the CA, client certificate and key, and the server name; any of them turns TLS on', () => {
    const ca = pem('ca.pem', 'CA');
    const cert = pem('cert.pem', 'CERT');
    const key = pem('key.pem', 'KEY');
    expect(security({ KAFKA_SSL: 'true' })).toEqual({ ssl: { rejectUnauthorized: true } });
    expect(security({ KAFKA_SSL_CA_FILE: ca })).toEqual({ ssl: { rejectUnauthorized: true, ca: [Buffer.from('CA')] } });
    expect(security({ KAFKA_SSL_CA_FILE: ca, KAFKA_SSL_CERT_FILE: cert, KAFKA_SSL_KEY_FILE: key, KAFKA_SSL_SERVERNAME: 'broker.internal' })).toEqual({
      ssl: { rejectUnauthorized: true, ca: [Buffer.from('CA')], cert: Buffer.from('CERT'), key: Buffer.from('KEY'), servername: 'broker.internal' },
    });
  });

  it('name the variable when a file is missing or the key is', () => {
    expect(messageOf(() => security({ KAFKA_SSL_CA_FILE: join(dir, 'nope.pem') }))).toContain('KAFKA_SSL_CA_FILE: cannot read the file (ENOENT)');
    expect(messageOf(() => security({ KAFKA_SSL_CERT_FILE: pem('c2.pem', 'CERT') }))).toContain('KAFKA_SSL_KEY_FILE: required with KAFKA_SSL_CERT_FILE');
  });

  it('take SCRAM credentials, also from files', () => {
    const password = pem('sasl-password', 'scram-secret-1\n');
    expect(security({ KAFKA_SSL: 'true', KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'ingest', KAFKA_SASL_PASSWORD_FILE: password })).toEqual({
      ssl: { rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'ingest', password: 'scram-secret-1' },
    });
    expect(messageOf(() => security({ KAFKA_SASL_MECHANISM: 'scram-sha-512', KAFKA_SASL_USERNAME: 'ingest' }))).toContain(
      'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with KAFKA_SASL_MECHANISM',
    );
  });

  it('refuse SASL PLAIN without TLS unless explicitly allowed', () => {
    const plain = { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p-in-clear' };
    const message = messageOf(() => security(plain));
    expect(message).toContain('KAFKA_SASL_MECHANISM: plain without TLS would send the password in clear');
    expect(message).not.toContain('p-in-clear');
    expect(security({ ...plain, KAFKA_SSL: 'true' }).sasl?.mechanism).toBe('plain');
    const allowed = security({ ...plain, KAFKA_SASL_ALLOW_PLAINTEXT: 'true' });
    expect(allowed).toEqual({ sasl: { mechanism: 'plain', username: 'u', password: 'p-in-clear' }, allowPlaintextSasl: true });
    // The client options check the same rule, for users of the library.
    expect(messageOf(() => resolveConnectionOptions({ brokers: ['k:1'], sasl: { mechanism: 'plain', username: 'u', password: 'p' } }))).toContain(
      'sasl.mechanism plain without ssl',
    );
    expect(resolveConnectionOptions({ brokers: ['k:1'], ...allowed }).sasl?.mechanism).toBe('plain');
    expect(resolveConnectionOptions({ brokers: ['k:1'], ssl: true, sasl: { mechanism: 'plain', username: 'u', password: 'p' } }).sasl?.mechanism).toBe('plain');
  });
});

describe('Schema Registry credentials', () => {
  const auth = (env: Record<string, string>) => schemaRegistryAuth(loadConfig(schemaRegistryCredentialsSpec, env));

  it('come as a pair, the password also from a file', () => {
    expect(auth({})).toBeUndefined();
    expect(auth({ SCHEMA_REGISTRY_USERNAME: 'key', SCHEMA_REGISTRY_PASSWORD_FILE: pem('sr', 'api-secret\n') })).toEqual({
      username: 'key',
      password: 'api-secret',
    });
    expect(messageOf(() => auth({ SCHEMA_REGISTRY_USERNAME: 'key' }))).toMatch(/^SCHEMA_REGISTRY_PASSWORD: /);
    expect(messageOf(() => auth({ SCHEMA_REGISTRY_PASSWORD: 'api-secret' }))).toMatch(/^SCHEMA_REGISTRY_USERNAME: /);
  });
});
