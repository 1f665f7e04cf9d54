import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { X509Certificate } from 'node:crypto';

// The material of the secured stack (`stack:up -- --secure`), without starting
// servers: the CA and certificate it makes, the passwords, and the variables
// it gives the apps. The servers themselves are exercised end to end by
// apps/orchestrator/test/secure-stack.spec.ts.

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'userstream-secure-material-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('the secured stack', () => {
  it('makes a CA and a server certificate for 127.0.0.1 and localhost that the CA signed, once', async () => {
    const { securityMaterial } = await import('../internal/secure.mjs');
    const material = securityMaterial(dir);
    const ca = new X509Certificate(fs.readFileSync(material.files.caCert));
    const server = new X509Certificate(fs.readFileSync(material.files.serverCert));
    expect(server.verify(ca.publicKey)).toBe(true);
    expect(server.checkIP('127.0.0.1')).toBe('127.0.0.1');
    expect(server.checkHost('localhost')).toBe('localhost');
    expect(server.checkHost('evil.example')).toBeUndefined();
    // The keystore the JVMs read opens with its password and holds the key.
    const listing = execFileSync('openssl', ['pkcs12', '-in', material.files.keystore, '-nokeys', '-passin', `file:${material.files.keystorePassword}`], {
      encoding: 'utf8',
    });
    expect(listing).toContain('BEGIN CERTIFICATE');
    // Secrets are readable by their owner only, and differ from one another and from the defaults.
    for (const file of [material.files.caKey, material.files.serverKey, material.files.kafkaAppPassword, material.files.cassandraAdminPassword]) {
      expect(fs.statSync(file).mode & 0o077).toBe(0);
    }
    const passwords = [
      material.kafka.password,
      material.kafka.adminPassword,
      material.cassandra.password,
      material.cassandra.adminPassword,
      material.keystorePassword,
    ];
    expect(new Set(passwords).size).toBe(5);
    expect(passwords).not.toContain('cassandra');
    // Made once: a second call finds the same material.
    expect(securityMaterial(dir).kafka.password).toBe(material.kafka.password);
  });

  it('configures SASL_SSL with SCRAM users made at format time, and Cassandra with passwords, authorization and client TLS', async () => {
    const { cassandraSecurity, kafkaSecurity, securityMaterial } = await import('../internal/secure.mjs');
    const material = securityMaterial(dir);
    const kafka = kafkaSecurity(material);
    expect(kafka.protocol).toBe('SASL_SSL');
    expect(kafka.properties).toContain('sasl.enabled.mechanisms=SCRAM-SHA-512');
    expect(kafka.formatArgs.filter((arg: string) => arg.startsWith('SCRAM-SHA-512=[name=userstream,'))).toHaveLength(1);
    const cassandra = cassandraSecurity(material);
    expect(cassandra.yaml).toMatch(/^authenticator: PasswordAuthenticator$/m);
    expect(cassandra.yaml).toMatch(/^authorizer: CassandraAuthorizer$/m);
    expect(cassandra.yaml).toMatch(/^ {2}enabled: true\n {2}optional: false$/m);
  });

  it('hands the apps TLS with the CA and the passwords as files, in its own directory and with its own server ids', async () => {
    const { stackConfig } = await import('../stack-lib.mjs');
    const config = stackConfig({ ...process.env, USERSTREAM_STACK_DIR: dir, STACK_SECURE: '1' });
    expect(config.shape).toBe('secure');
    expect(config.servers).toEqual(['secure-kafka', 'secure-cassandra']);
    expect(config.env).toMatchObject({
      KAFKA_SSL_CA_FILE: path.join(dir, 'secure', 'tls', 'ca.pem'),
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'userstream',
      KAFKA_SASL_PASSWORD_FILE: path.join(dir, 'secure', 'tls', 'kafka-userstream.password'),
      CASSANDRA_SSL_CA_FILE: path.join(dir, 'secure', 'tls', 'ca.pem'),
      CASSANDRA_USERNAME: 'userstream',
      CASSANDRA_PASSWORD_FILE: path.join(dir, 'secure', 'tls', 'cassandra-userstream.password'),
    });
    expect(Object.values(config.env).join(' ')).not.toMatch(/PASSWORD=/);
    // Without the flag the same dir is the plain stack.
    expect(stackConfig({ ...process.env, USERSTREAM_STACK_DIR: dir, STACK_SECURE: '' }).shape).toBe('single');
  });
});
