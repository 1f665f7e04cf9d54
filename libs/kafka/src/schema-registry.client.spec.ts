// Our Schema Registry wrapper against the stand-in registry of tools/schema-registry,
// which answers the Confluent REST API as documented (and is itself checked with
// Confluent's own Python client there). In-process, on 127.0.0.1.
import { ConfigError } from '@userstream/core';
import { startSchemaRegistry, type SchemaRegistryStandIn } from '@userstream/tools/schema-registry';
import { KafkaError } from './kafka.errors';
import { createSchemaRegistry, type SchemaRegistryClient } from './schema-registry.client';

interface AvroRecordJson {
  type: 'record';
  name: string;
  fields: Array<{ name: string; type: unknown; default?: unknown }>;
}

const v1: AvroRecordJson = { type: 'record', name: 'User', fields: [{ name: 'id', type: 'string' }] };
const v2: AvroRecordJson = {
  type: 'record',
  name: 'User',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'city', type: 'string', default: '' },
  ],
};
const v3Breaking: AvroRecordJson = {
  type: 'record',
  name: 'User',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'age', type: 'int' },
  ],
};

describe('SchemaRegistryClient against the stand-in registry', () => {
  let fake: SchemaRegistryStandIn;
  let registry: SchemaRegistryClient;
  let registryHost: string;

  beforeAll(async () => {
    fake = await startSchemaRegistry({ port: 0, auth: { username: 'key', password: 'secret' } });
    registryHost = fake.url;
    registry = createSchemaRegistry({ host: registryHost, auth: { username: 'key', password: 'secret' }, retries: 2 });
  });
  afterAll(async () => {
    registry.close();
    await fake.close();
  });

  it('registers a schema, sets BACKWARD on a new subject and returns the same id again', async () => {
    const id = await registry.register('users-value', v1);
    expect(id).toBe(1);
    expect(fake.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /config/users-value',
      'POST /subjects/users-value/versions',
      'PUT /config/users-value',
    ]);
    expect(fake.requests.every((r) => r.authorization === `Basic ${Buffer.from('key:secret').toString('base64')}`)).toBe(true);
    expect(await registry.register('users-value', JSON.stringify(v1))).toBe(1);
    expect(await registry.register('users-value', v2)).toBe(2);
  });

  it('fetches a schema by id once and serves it from the cache afterwards', async () => {
    // A second client, as a consumer would have: its cache knows nothing yet.
    const reader = createSchemaRegistry({ host: registryHost, auth: { username: 'key', password: 'secret' } });
    try {
      const before = fake.requests.length;
      const schema = await reader.getSchema(2);
      expect(schema).toMatchObject({ type: 'record', name: 'User', fields: [{ name: 'id' }, { name: 'city', default: '' }] });
      expect(await reader.getSchema(2)).toBe(schema);
      expect(fake.requests.slice(before).map((r) => r.path)).toEqual(['/schemas/ids/2']);
    } finally {
      reader.close();
    }
  });

  it('checks compatibility against the latest version', async () => {
    await expect(registry.checkCompatibility('users-value', v2)).resolves.toEqual({ compatible: true, messages: [] });
    await expect(registry.checkCompatibility('users-value', v3Breaking)).resolves.toEqual({
      compatible: false,
      messages: expect.arrayContaining([expect.stringMatching(/READER_FIELD_MISSING_DEFAULT_VALUE.*age/), "{compatibility: 'BACKWARD'}"]),
    });
    await expect(registry.checkCompatibility('other-value', v3Breaking)).resolves.toEqual({
      compatible: true,
      messages: ['subject other-value has no versions yet'],
    });
  });

  it('retries a 5xx, and reports an unknown id as a non-retriable SCHEMA_REGISTRY_FAILED', async () => {
    fake.failNext(1);
    expect(await registry.getSchema(1)).toMatchObject({ name: 'User' });
    const error = await registry.getSchema(99).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KafkaError);
    expect(error).toMatchObject({ code: 'SCHEMA_REGISTRY_FAILED', retriable: false, details: { status: 404 } });
    // A failed lookup is not cached: the id is asked again next time.
    const before = fake.requests.length;
    await registry.getSchema(99).catch(() => undefined);
    expect(fake.requests.length).toBeGreaterThan(before);
  });

  it('reports an unreachable registry as retriable', async () => {
    const down = createSchemaRegistry({ host: 'http://127.0.0.1:1', retries: 0 });
    try {
      await expect(down.checkCompatibility('s', v1)).rejects.toMatchObject({ code: 'SCHEMA_REGISTRY_FAILED', retriable: true });
      await expect(down.getSchema(1)).rejects.toMatchObject({ code: 'SCHEMA_REGISTRY_FAILED', retriable: true });
    } finally {
      down.close();
    }
  });

  it('validates its options', () => {
    expect(() => createSchemaRegistry({ host: 'not a url' })).toThrow(ConfigError);
    expect(() => createSchemaRegistry({ host: 'ftp://x' })).toThrow(ConfigError);
    expect(() => createSchemaRegistry({ host: 'http://x', compatibility: 'SOMETIMES' as never })).toThrow(ConfigError);
    expect(() => createSchemaRegistry({ host: 'http://x', auth: { username: 'u', password: '' } })).toThrow(ConfigError);
  });
});
