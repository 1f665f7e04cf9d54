import { describeConfig } from '@userstream/core';
import { ingestConfigSpec, loadIngestConfig } from './app.config';

describe('ingest configuration', () => {
  it('has working defaults', () => {
    const config = loadIngestConfig({});
    expect(config).toMatchObject({
      port: 3001,
      randomUserBaseUrl: 'https://randomuser.me/api/',
      kafkaBrokers: ['127.0.0.1:9092'],
      topic: 'users_created',
      topicPartitions: 4,
      encoding: 'avro',
      pageSize: 1000,
      fetchConcurrency: 2,
    });
    expect(config.schemaRegistryUrl).toBeUndefined();
  });

  it('defaults to the confluent encoding when a registry is configured', () => {
    expect(loadIngestConfig({ SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081' }).encoding).toBe('confluent');
    expect(loadIngestConfig({ SCHEMA_REGISTRY_URL: 'http://127.0.0.1:8081', INGEST_ENCODING: 'json' }).encoding).toBe('json');
  });

  it.each([
    [{ INGEST_PAGE_SIZE: '6000' }, 'INGEST_PAGE_SIZE: must be at most 5000'],
    [{ KAFKA_COMPRESSION: 'lz4' }, 'KAFKA_COMPRESSION: must be one of none, gzip, snappy'],
    [{ RANDOMUSER_BASE_URL: 'not a url' }, 'RANDOMUSER_BASE_URL: must be an absolute URL'],
    [{ INGEST_ENCODING: 'confluent' }, 'INGEST_ENCODING: confluent needs SCHEMA_REGISTRY_URL'],
    [{ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u' }, 'KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are required with KAFKA_SASL_MECHANISM'],
    [{ KAFKA_TOPIC: 'bad topic' }, 'KAFKA_TOPIC: "bad topic" is not a legal Kafka topic name'],
  ])('refuses %j naming the variable', (env, message) => {
    expect(() => loadIngestConfig(env)).toThrow(message);
  });

  it('documents every variable and hides the secret', () => {
    const table = describeConfig(ingestConfigSpec);
    for (const field of Object.values(ingestConfigSpec)) expect(table).toContain(`\`${field.env}\``);
    expect(table).toContain('| `KAFKA_SASL_PASSWORD` | (secret) |');
  });
});
