// Unit test of our Schema Registry wrapper against a small in-process fake of
// the four registry endpoints it uses (no real registry runs here).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ConfigError } from '@userstream/core';
import { KafkaError } from './kafka.errors';
import { createSchemaRegistry, type SchemaRegistryClient } from './schema-registry.client';

interface AvroRecordJson {
  type: 'record';
  name: string;
  fields: Array<{ name: string; type: unknown; default?: unknown }>;
}

const v1: AvroRecordJson = { type: 'record', name: 'User', fields: [{ name: 'id', type: 'string' }] };
const v2: AvroRecordJson = { type: 'record', name: 'User', fields: [{ name: 'id', type: 'string' }, { name: 'city', type: 'string', default: '' }] };
const v3Breaking: AvroRecordJson = { type: 'record', name: 'User', fields: [{ name: 'id', type: 'string' }, { name: 'age', type: 'int' }] };

/** A fake registry: ids are global, subjects keep versions, BACKWARD = new fields need defaults. */
class FakeRegistry {
  readonly requests: Array<{ method: string; url: string; auth?: string }> = [];
  private readonly schemas: string[] = [];
  private readonly subjects = new Map<string, number[]>();
  private readonly configs = new Map<string, string>();
  failNext = 0;
  private server?: Server;

  async start(): Promise<string> {
    const server = createServer((req, res) => void this.handle(req, res));
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => {
      this.server?.closeAllConnections();
      this.server?.close(() => resolve());
    });
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = chunks.length > 0 ? (JSON.parse(Buffer.concat(chunks).toString()) as Record<string, unknown>) : {};
    const url = new URL(req.url ?? '/', 'http://x');
    this.requests.push({ method: req.method ?? '', url: url.pathname, ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
      res.end(JSON.stringify(payload));
    };
    if (this.failNext > 0) {
      this.failNext--;
      return send(503, { error_code: 50301, message: 'registry is warming up' });
    }
    let m: RegExpMatchArray | null;
    if ((m = url.pathname.match(/^\/config\/([^/]+)$/))) {
      const subject = decodeURIComponent(m[1]);
      if (req.method === 'GET') {
        const level = this.configs.get(subject);
        return level ? send(200, { compatibilityLevel: level }) : send(404, { error_code: 40408, message: 'Subject does not have subject-level compatibility configured' });
      }
      this.configs.set(subject, String(body.compatibility));
      return send(200, { compatibility: body.compatibility });
    }
    if ((m = url.pathname.match(/^\/subjects\/([^/]+)\/versions$/)) && req.method === 'POST') {
      const subject = decodeURIComponent(m[1]);
      const text = String(body.schema);
      let id = this.schemas.indexOf(text) + 1;
      if (id === 0) id = this.schemas.push(text);
      const versions = this.subjects.get(subject) ?? [];
      if (!versions.includes(id)) versions.push(id);
      this.subjects.set(subject, versions);
      return send(200, { id });
    }
    if ((m = url.pathname.match(/^\/schemas\/ids\/(\d+)$/)) && req.method === 'GET') {
      const text = this.schemas[Number(m[1]) - 1];
      return text ? send(200, { schema: text }) : send(404, { error_code: 40403, message: 'Schema not found' });
    }
    if ((m = url.pathname.match(/^\/compatibility\/subjects\/([^/]+)\/versions\/latest$/)) && req.method === 'POST') {
      const versions = this.subjects.get(decodeURIComponent(m[1]));
      if (!versions?.length) return send(404, { error_code: 40401, message: 'Subject not found' });
      const latest = JSON.parse(this.schemas[versions[versions.length - 1] - 1]) as AvroRecordJson;
      const candidate = JSON.parse(String(body.schema)) as AvroRecordJson;
      const missing = candidate.fields.filter((f) => f.default === undefined && !latest.fields.some((l) => l.name === f.name));
      return missing.length === 0
        ? send(200, { is_compatible: true })
        : send(200, { is_compatible: false, messages: missing.map((f) => `READER_FIELD_MISSING_DEFAULT_VALUE: ${f.name}`) });
    }
    send(404, { error_code: 404, message: 'HTTP 404 Not Found' });
  }
}

describe('SchemaRegistryClient (unit test against a fake registry)', () => {
  const fake = new FakeRegistry();
  let registry: SchemaRegistryClient;
  let registryHost: string;

  beforeAll(async () => {
    registryHost = await fake.start();
    registry = createSchemaRegistry({ host: registryHost, auth: { username: 'key', password: 'secret' }, retries: 2 });
  });
  afterAll(async () => {
    registry.close();
    await fake.stop();
  });

  it('registers a schema, sets BACKWARD on a new subject and returns the same id again', async () => {
    const id = await registry.register('users-value', v1);
    expect(id).toBe(1);
    expect(fake.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['GET /config/users-value', 'POST /subjects/users-value/versions', 'PUT /config/users-value']);
    expect(fake.requests.every((r) => r.auth === `Basic ${Buffer.from('key:secret').toString('base64')}`)).toBe(true);
    expect(await registry.register('users-value', JSON.stringify(v1))).toBe(1);
    expect(await registry.register('users-value', v2)).toBe(2);
  });

  it('fetches a schema by id once and serves it from the cache afterwards', async () => {
    // A second client, as a consumer would have: its cache knows nothing yet.
    const reader = createSchemaRegistry({ host: registryHost });
    try {
      const before = fake.requests.length;
      const schema = await reader.getSchema(2);
      expect(schema).toMatchObject({ type: 'record', name: 'User', fields: [{ name: 'id' }, { name: 'city', default: '' }] });
      expect(await reader.getSchema(2)).toBe(schema);
      expect(fake.requests.slice(before).map((r) => r.url)).toEqual(['/schemas/ids/2']);
    } finally {
      reader.close();
    }
  });

  it('checks compatibility against the latest version', async () => {
    await expect(registry.checkCompatibility('users-value', v2)).resolves.toEqual({ compatible: true, messages: [] });
    await expect(registry.checkCompatibility('users-value', v3Breaking)).resolves.toEqual({
      compatible: false,
      messages: ['READER_FIELD_MISSING_DEFAULT_VALUE: age'],
    });
    await expect(registry.checkCompatibility('other-value', v3Breaking)).resolves.toEqual({ compatible: true, messages: ['subject other-value has no versions yet'] });
  });

  it('retries a 5xx, and reports an unknown id as a non-retriable SCHEMA_REGISTRY_FAILED', async () => {
    fake.failNext = 1;
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
