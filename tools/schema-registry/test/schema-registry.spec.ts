// The stand-in answers the Confluent Schema Registry's REST API as its API
// reference documents it: paths, bodies, status codes and error codes
// (40401 subject not found, 40402 version not found, 40403 schema not found,
// 40408 no subject-level compatibility, 42201 invalid schema, 42202 invalid
// version, 42203 invalid compatibility level, 409 incompatible schema), and
// hostile requests get a 4xx, never a crash.
import { startSchemaRegistry, type SchemaRegistryStandIn } from '../schema-registry.mjs';

const MEDIA = 'application/vnd.schemaregistry.v1+json';
const v1 = { type: 'record', name: 'User', namespace: 'io.test', fields: [{ name: 'id', type: 'string' }] };
const v2 = { ...v1, fields: [...v1.fields, { name: 'city', type: 'string', default: '' }] };
const breaking = { ...v1, fields: [...v1.fields, { name: 'age', type: 'int' }] };
const renamedType = { ...v1, fields: [{ name: 'id', type: 'int' }] };

describe('Schema Registry stand-in: the documented REST subset', () => {
  let registry: SchemaRegistryStandIn;

  async function call(
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<{ status: number; body: unknown; type: string | null }> {
    const res = await fetch(`${registry.url}${path}`, {
      method,
      headers: { 'content-type': MEDIA, ...headers },
      ...(body !== undefined ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: await res.json(), type: res.headers.get('content-type') };
  }
  const register = (subject: string, schema: object | string) =>
    call('POST', `/subjects/${encodeURIComponent(subject)}/versions`, { schema: typeof schema === 'string' ? schema : JSON.stringify(schema) });

  beforeAll(async () => {
    registry = await startSchemaRegistry({ port: 0 });
  });
  beforeEach(() => registry.reset());
  afterAll(() => registry.close());

  it('registers versions under subjects with global ids, and lists subjects and versions', async () => {
    expect(await call('GET', '/subjects')).toEqual({ status: 200, body: [], type: MEDIA });
    expect(await register('users-value', v1)).toMatchObject({ status: 200, body: { id: 1 } });
    // The same schema, however it is spelled, keeps its id and makes no new version.
    expect(await register('users-value', JSON.stringify(v1, null, 4))).toMatchObject({ status: 200, body: { id: 1 } });
    expect(await register('users-value', v2)).toMatchObject({ status: 200, body: { id: 2 } });
    // Ids are global: the same schema under another subject has the same id, as version 1 there.
    expect(await register('other-value', v2)).toMatchObject({ status: 200, body: { id: 2 } });

    expect((await call('GET', '/subjects')).body).toEqual(['users-value', 'other-value']);
    expect((await call('GET', '/subjects/users-value/versions')).body).toEqual([1, 2]);
    expect((await call('GET', '/subjects/other-value/versions')).body).toEqual([1]);
    expect((await call('GET', '/subjects/users-value/versions/1')).body).toEqual({ subject: 'users-value', version: 1, id: 1, schema: JSON.stringify(v1) });
    expect((await call('GET', '/subjects/users-value/versions/latest')).body).toEqual({
      subject: 'users-value',
      version: 2,
      id: 2,
      schema: JSON.stringify(v2),
    });
    expect((await call('GET', '/subjects/users-value/versions/-1')).body).toMatchObject({ version: 2 });
    expect((await call('GET', '/subjects/users-value/versions/2/schema')).body).toEqual(v2);
    expect((await call('GET', '/schemas/ids/2')).body).toEqual({ schema: JSON.stringify(v2) });
    expect((await call('GET', '/schemas/ids/2/schema')).body).toEqual(v2);
    expect((await call('GET', '/schemas/ids/2/versions')).body).toEqual([
      { subject: 'users-value', version: 2 },
      { subject: 'other-value', version: 1 },
    ]);
    expect((await call('GET', '/schemas/ids/2/subjects')).body).toEqual(['users-value', 'other-value']);
    expect((await call('GET', '/schemas/types')).body).toEqual(['AVRO']);
  });

  it('looks a schema up under a subject: 40401 for an unknown subject, 40403 for a schema it does not have', async () => {
    expect(await call('POST', '/subjects/users-value', { schema: JSON.stringify(v1) })).toMatchObject({
      status: 404,
      body: { error_code: 40401, message: "Subject 'users-value' not found." },
    });
    await register('users-value', v1);
    expect(await call('POST', '/subjects/users-value', { schema: JSON.stringify(v1) })).toEqual({
      status: 200,
      type: MEDIA,
      body: { subject: 'users-value', version: 1, id: 1, schema: JSON.stringify(v1) },
    });
    expect(await call('POST', '/subjects/users-value', { schema: JSON.stringify(v2) })).toMatchObject({ status: 404, body: { error_code: 40403 } });
  });

  it('answers 40401, 40402, 40403 and 42202 for what does not exist or is not a version', async () => {
    expect(await call('GET', '/subjects/nope/versions')).toMatchObject({ status: 404, body: { error_code: 40401 } });
    expect(await call('GET', '/subjects/nope/versions/latest')).toMatchObject({ status: 404, body: { error_code: 40401 } });
    await register('users-value', v1);
    expect(await call('GET', '/subjects/users-value/versions/7')).toMatchObject({ status: 404, body: { error_code: 40402, message: 'Version 7 not found.' } });
    for (const bad of ['0', 'first', '-2', '99999999999']) {
      expect(await call('GET', `/subjects/users-value/versions/${bad}`)).toMatchObject({ status: 422, body: { error_code: 42202 } });
    }
    for (const id of ['99', '0', 'abc']) expect(await call('GET', `/schemas/ids/${id}`)).toMatchObject({ status: 404, body: { error_code: 40403 } });
  });

  it('rejects invalid schemas with 42201 and incompatible ones with 409', async () => {
    for (const schema of ['{"type": "record", "name": "X"}', '{not json', '', '{"type":"nosuchtype"}']) {
      expect(await register('users-value', schema)).toMatchObject({ status: 422, body: { error_code: 42201 } });
    }
    expect(await call('POST', '/subjects/users-value/versions', { schema: JSON.stringify(v1), schemaType: 'PROTOBUF' })).toMatchObject({
      status: 422,
      body: { error_code: 42201 },
    });
    expect(await call('POST', '/subjects/users-value/versions', { nothing: true })).toMatchObject({ status: 422, body: { error_code: 42201 } });
    await register('users-value', v1);
    const refused = await register('users-value', breaking);
    expect(refused).toMatchObject({ status: 409, body: { error_code: 409 } });
    expect((refused.body as { message: string }).message).toMatch(
      /incompatible with an earlier schema for subject "users-value".*READER_FIELD_MISSING_DEFAULT_VALUE.*age/,
    );
    expect((await call('GET', '/subjects/users-value/versions')).body).toEqual([1]);
  });

  it('checks compatibility per level: BACKWARD by default, FORWARD, FULL, NONE and the transitive ones', async () => {
    await register('s-value', v1);
    const check = async (schema: object, path = '/compatibility/subjects/s-value/versions/latest') =>
      (await call('POST', `${path}?verbose=true`, { schema: JSON.stringify(schema) })).body;
    expect(await check(v2)).toEqual({ is_compatible: true, messages: [] });
    expect(await check(breaking)).toMatchObject({
      is_compatible: false,
      messages: expect.arrayContaining([expect.stringContaining('READER_FIELD_MISSING_DEFAULT_VALUE'), "{compatibility: 'BACKWARD'}"]),
    });
    expect((await call('POST', '/compatibility/subjects/s-value/versions/1', { schema: JSON.stringify(v2) })).body).toEqual({ is_compatible: true });
    expect(await call('POST', '/compatibility/subjects/s-value/versions/9', { schema: JSON.stringify(v2) })).toMatchObject({
      status: 404,
      body: { error_code: 40402 },
    });
    expect(await call('POST', '/compatibility/subjects/none-value/versions/latest', { schema: JSON.stringify(v2) })).toMatchObject({
      status: 404,
      body: { error_code: 40401 },
    });

    // FORWARD: the old schema must read the new data; a field removed without a default breaks it.
    expect(await call('PUT', '/config/s-value', { compatibility: 'forward' })).toMatchObject({ status: 200, body: { compatibility: 'FORWARD' } });
    expect(await check(breaking)).toMatchObject({ is_compatible: true });
    expect(await check({ ...v1, fields: [] })).toMatchObject({ is_compatible: false });
    // FULL needs both directions; a changed field type fails both.
    await call('PUT', '/config/s-value', { compatibility: 'FULL' });
    expect(await check(v2)).toMatchObject({ is_compatible: true });
    expect(await check(breaking)).toMatchObject({ is_compatible: false });
    expect(await check(renamedType)).toMatchObject({ is_compatible: false });
    await call('PUT', '/config/s-value', { compatibility: 'NONE' });
    expect(await check(renamedType)).toMatchObject({ is_compatible: true });

    // Transitive: against every version, not only the latest.
    await register('t-value', v1);
    await call('PUT', '/config/t-value', { compatibility: 'NONE' });
    await register('t-value', renamedType);
    await call('PUT', '/config/t-value', { compatibility: 'BACKWARD' });
    expect(await check(v1, '/compatibility/subjects/t-value/versions/latest')).toMatchObject({ is_compatible: false });
    await call('PUT', '/config/t-value', { compatibility: 'BACKWARD_TRANSITIVE' });
    expect(await register('t-value', renamedType)).toMatchObject({ status: 200, body: { id: 2 } });
    expect(await register('t-value', { ...renamedType, fields: [...renamedType.fields, { name: 'x', type: 'string', default: '' }] })).toMatchObject({
      status: 409,
    });
  });

  it('keeps global and subject compatibility settings: 40408 without one, 42203 for a bad level', async () => {
    expect(await call('GET', '/config')).toMatchObject({ status: 200, body: { compatibilityLevel: 'BACKWARD' } });
    expect(await call('GET', '/config/users-value')).toMatchObject({ status: 404, body: { error_code: 40408 } });
    expect(await call('GET', '/config/users-value?defaultToGlobal=true')).toMatchObject({ status: 200, body: { compatibilityLevel: 'BACKWARD' } });
    expect(await call('PUT', '/config/users-value', { compatibility: 'FULL_TRANSITIVE' })).toMatchObject({
      status: 200,
      body: { compatibility: 'FULL_TRANSITIVE' },
    });
    expect(await call('GET', '/config/users-value')).toMatchObject({ status: 200, body: { compatibilityLevel: 'FULL_TRANSITIVE' } });
    for (const bad of [{ compatibility: 'SOMETIMES' }, { compatibility: 3 }, {}])
      expect(await call('PUT', '/config/users-value', bad)).toMatchObject({ status: 422, body: { error_code: 42203 } });
    expect(await call('PUT', '/config', { compatibility: 'NONE' })).toMatchObject({ status: 200, body: { compatibility: 'NONE' } });
    expect(await call('GET', '/config')).toMatchObject({ body: { compatibilityLevel: 'NONE' } });
  });

  it('soft-deletes and then permanently deletes versions and subjects', async () => {
    await register('d-value', v1);
    await register('d-value', v2);
    expect(await call('DELETE', '/subjects/d-value/versions/2?permanent=true')).toMatchObject({ status: 404, body: { error_code: 40407 } });
    expect(await call('DELETE', '/subjects/d-value/versions/2')).toMatchObject({ status: 200, body: 2 });
    expect((await call('GET', '/subjects/d-value/versions')).body).toEqual([1]);
    expect((await call('GET', '/subjects/d-value/versions?deleted=true')).body).toEqual([1, 2]);
    expect(await call('DELETE', '/subjects/d-value?permanent=true')).toMatchObject({ status: 404, body: { error_code: 40405 } });
    expect(await call('DELETE', '/subjects/d-value')).toMatchObject({ status: 200, body: [1] });
    expect(await call('GET', '/subjects/d-value/versions')).toMatchObject({ status: 404, body: { error_code: 40401 } });
    expect((await call('GET', '/subjects')).body).toEqual([]);
    expect((await call('GET', '/subjects?deleted=true')).body).toEqual(['d-value']);
    // The schema itself stays readable by id (records written with it must stay readable).
    expect(await call('GET', '/schemas/ids/2')).toMatchObject({ status: 200 });
    // Registering again continues the version numbers.
    expect(await register('d-value', v2)).toMatchObject({ body: { id: 2 } });
    expect((await call('GET', '/subjects/d-value/versions/latest')).body).toMatchObject({ version: 3, id: 2 });
  });

  it('answers hostile and unknown requests with a 4xx and keeps serving', async () => {
    expect(await call('GET', '/nothing/here')).toMatchObject({ status: 404, body: { error_code: 404 } });
    expect(await call('PATCH', '/subjects')).toMatchObject({ status: 405, body: { error_code: 405 } });
    expect(await call('POST', '/subjects/x/versions', '{"schema": ')).toMatchObject({ status: 400, body: { error_code: 400 } });
    expect(await call('POST', '/subjects/x/versions', 'schema=1', { 'content-type': 'application/x-www-form-urlencoded' })).toMatchObject({ status: 415 });
    expect(await call('POST', '/subjects/x/versions', { schema: 'x'.repeat(1_100_000) })).toMatchObject({ status: 413 });
    expect(await call('GET', '/subjects/%E0%A4%A/versions')).toMatchObject({ status: 400 });
    expect(await call('POST', '/subjects/x/versions', [1, 2])).toMatchObject({ status: 422, body: { error_code: 42201 } });
    expect(await call('GET', '/')).toMatchObject({ status: 200, body: {} });
  });

  it('can demand HTTP Basic and can imitate a registry whose leader is away', async () => {
    const secured = await startSchemaRegistry({ port: 0, auth: { username: 'key', password: 'secret' } });
    try {
      const res = await fetch(`${secured.url}/subjects`);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ error_code: 401, message: 'Unauthorized' });
      const ok = await fetch(`${secured.url}/subjects`, { headers: { authorization: `Basic ${Buffer.from('key:secret').toString('base64')}` } });
      expect(ok.status).toBe(200);
    } finally {
      await secured.close();
    }
    registry.failNext(1);
    expect(await call('GET', '/subjects')).toMatchObject({ status: 503, body: { error_code: 50003 } });
    expect(await call('GET', '/subjects')).toMatchObject({ status: 200 });
  });
});
