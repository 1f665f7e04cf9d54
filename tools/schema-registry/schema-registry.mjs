// A stand-in for the Confluent Schema Registry: the REST subset the pipeline,
// Confluent's own clients (confluent_kafka's SchemaRegistryClient, the Java
// serializers) and @kafkajs/confluent-schema-registry use, answering as the
// registry's API reference documents it: paths, bodies, status codes and
// error codes. Avro only; in memory. No Schema Registry server can be had on
// this machine (none is on a package registry we reach), so the tests and
// offline demos use this one; Docker users get the real image (docker/compose.yaml).
//
// Hand-written because no maintained package serves this API from Node.
import http from 'node:http';
import avsc from 'avsc';

const MEDIA_TYPE = 'application/vnd.schemaregistry.v1+json';
const ACCEPTED_BODY_TYPES = new Set([
  'application/vnd.schemaregistry.v1+json',
  'application/vnd.schemaregistry+json',
  'application/json',
  'application/octet-stream',
]);
const MAX_BODY_BYTES = 1 << 20;
const MAX_VERSION = 2 ** 31 - 1;

/** The compatibility levels of the registry, in its own spelling. */
export const COMPATIBILITY_LEVELS = Object.freeze(['NONE', 'BACKWARD', 'BACKWARD_TRANSITIVE', 'FORWARD', 'FORWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']);

/** An error the registry answers with: HTTP status, `error_code`, `message`. */
class RegistryError extends Error {
  constructor(status, errorCode, message) {
    super(message);
    this.status = status;
    this.errorCode = errorCode;
  }
}

const subjectNotFound = (subject) => new RegistryError(404, 40401, `Subject '${subject}' not found.`);
const versionNotFound = (version) => new RegistryError(404, 40402, `Version ${version} not found.`);
const schemaNotFound = (detail = 'Schema not found') => new RegistryError(404, 40403, detail);
const invalidVersion = (raw) =>
  new RegistryError(422, 42202, `The specified version '${raw}' is not a valid version id. Allowed values are between [1, 2^31-1] and the string "latest"`);
const invalidCompatibility = () =>
  new RegistryError(
    422,
    42203,
    'Invalid compatibility level. Valid values are none, backward, forward, full, backward_transitive, forward_transitive, and full_transitive',
  );

/** Parses Avro schema text; throws 42201 (invalid schema) the way the registry reports it. */
function parseAvro(text, schemaType) {
  if (schemaType !== undefined && schemaType !== 'AVRO')
    throw new RegistryError(422, 42201, `Invalid schema: schema type ${JSON.stringify(schemaType)} is not supported by this registry (AVRO only)`);
  if (typeof text !== 'string' || text.trim() === '') throw new RegistryError(422, 42201, 'Invalid schema: empty schema');
  let json;
  try {
    json = JSON.parse(text);
  } catch (error) {
    // The registry also accepts a bare primitive name such as string (not JSON).
    if (/^[a-z]+$/.test(text.trim())) json = text.trim();
    else throw new RegistryError(422, 42201, `Invalid schema: ${error.message}`);
  }
  try {
    const type = avsc.Type.forSchema(json, { noAnonymousTypes: false });
    // The registry stores and returns the schema as Avro's Schema.toString() prints it: compact JSON.
    return { type, text: JSON.stringify(json) };
  } catch (error) {
    throw new RegistryError(422, 42201, `Invalid schema: ${error.message}`);
  }
}

/** Why `reader` cannot read data written with `writer`, as the registry's verbose messages say it; [] when it can. */
function incompatibilities(reader, writer) {
  try {
    reader.createResolver(writer);
    return [];
  } catch (error) {
    const messages = [];
    if (reader.typeName === 'record' && writer.typeName === 'record') {
      const written = new Set(writer.fields.map((f) => f.name));
      reader.fields.forEach((field, index) => {
        const names = [field.name, ...(field.aliases ?? [])];
        if (!names.some((n) => written.has(n)) && field.defaultValue() === undefined) {
          messages.push(`Incompatibility{type:READER_FIELD_MISSING_DEFAULT_VALUE, location:/fields/${index}, message:${field.name}}`);
        }
      });
    }
    if (messages.length === 0) messages.push(`Incompatibility{type:TYPE_MISMATCH, location:/, message:${error.message}}`);
    return messages;
  }
}

/**
 * Starts the stand-in registry. Resolves to `{ url, port, close(), reset(), failNext(n) }`.
 *
 * @param {{ port?: number, host?: string, auth?: { username: string, password: string }, compatibility?: string }} [options]
 *   `auth`: require HTTP Basic with these credentials (401 otherwise);
 *   `compatibility`: the global level at start (default BACKWARD, as the registry's).
 */
export function startSchemaRegistry(options = {}) {
  const host = options.host ?? '127.0.0.1';
  const initialCompatibility = options.compatibility ?? 'BACKWARD';
  if (!COMPATIBILITY_LEVELS.includes(initialCompatibility)) throw new Error(`compatibility must be one of ${COMPATIBILITY_LEVELS.join(', ')}`);
  const expectedAuth = options.auth ? `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}` : undefined;

  /** @type {Array<{ id: number, text: string, type: import('avsc').Type }>} schemas by id - 1 */
  let schemas;
  /** @type {Map<string, { versions: Array<{ version: number, id: number, deleted: boolean }>, deleted: boolean }>} */
  let subjects;
  /** @type {Map<string, string>} subject-level compatibility */
  let configs;
  let globalCompatibility;
  let failures = 0;
  const requests = [];
  const reset = () => {
    schemas = [];
    subjects = new Map();
    configs = new Map();
    globalCompatibility = initialCompatibility;
    requests.length = 0;
  };
  reset();

  const liveVersions = (subject) => subjects.get(subject)?.versions.filter((v) => !v.deleted) ?? [];
  const schemaById = (id) => schemas[id - 1];

  function requireSubject(subject, includeDeleted = false) {
    const entry = subjects.get(subject);
    if (!entry || (!includeDeleted && (entry.deleted || liveVersions(subject).length === 0))) throw subjectNotFound(subject);
    return entry;
  }

  function parseVersionId(raw) {
    if (raw === 'latest' || raw === '-1') return 'latest';
    if (!/^\d{1,10}$/.test(raw)) throw invalidVersion(raw);
    const n = Number(raw);
    if (n < 1 || n > MAX_VERSION) throw invalidVersion(raw);
    return n;
  }

  function findVersion(subject, raw, includeDeleted = false) {
    const entry = requireSubject(subject, includeDeleted);
    const version = parseVersionId(raw);
    const candidates = includeDeleted ? entry.versions : entry.versions.filter((v) => !v.deleted);
    const found = version === 'latest' ? candidates[candidates.length - 1] : candidates.find((v) => v.version === version);
    if (!found) throw versionNotFound(raw);
    return found;
  }

  const describeVersion = (subject, v) => ({ subject, version: v.version, id: v.id, schema: schemaById(v.id).text });
  const compatibilityOf = (subject) => configs.get(subject) ?? globalCompatibility;

  /** Verbose messages of why `candidate` cannot be registered under `subject` given its level ([] = compatible). */
  function checkAgainst(subject, candidate, versions) {
    const level = compatibilityOf(subject);
    if (level === 'NONE' || versions.length === 0) return [];
    const against = level.endsWith('_TRANSITIVE') ? versions : versions.slice(-1);
    const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
    const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
    const messages = [];
    for (const v of against) {
      const old = schemaById(v.id).type;
      const found = [...(backward ? incompatibilities(candidate, old) : []), ...(forward ? incompatibilities(old, candidate) : [])];
      if (found.length > 0) messages.push(...found, `{oldSchemaVersion: ${v.version}}`, `{oldSchema: '${schemaById(v.id).text}'}`);
    }
    if (messages.length > 0) messages.push(`{compatibility: '${level}'}`);
    return messages;
  }

  function readSchemaBody(body) {
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      throw new RegistryError(422, 42201, 'Invalid schema: the request body must be a JSON object with a "schema" field');
    if (Array.isArray(body.references) && body.references.length > 0)
      throw new RegistryError(422, 42201, 'Invalid schema: schema references are not supported by this registry');
    return parseAvro(body.schema, body.schemaType);
  }

  function register(subject, body) {
    const candidate = readSchemaBody(body);
    const entry = subjects.get(subject);
    const live = liveVersions(subject);
    if (entry && !entry.deleted) {
      const existing = live.find((v) => schemaById(v.id).text === candidate.text);
      if (existing) return { id: existing.id };
    }
    const messages = checkAgainst(subject, candidate.type, entry?.deleted ? [] : live);
    if (messages.length > 0) {
      throw new RegistryError(
        409,
        409,
        `Schema being registered is incompatible with an earlier schema for subject "${subject}", details: [${messages.join(', ')}]`,
      );
    }
    let id = schemas.findIndex((s) => s.text === candidate.text) + 1;
    if (id === 0) id = schemas.push({ id: schemas.length + 1, text: candidate.text, type: candidate.type });
    // A soft-deleted subject keeps counting its versions, as the registry does.
    const next = { versions: entry?.versions ?? [], deleted: false };
    const highest = next.versions.reduce((max, v) => Math.max(max, v.version), 0);
    next.versions.push({ version: highest + 1, id, deleted: false });
    subjects.set(subject, next);
    return { id };
  }

  /** @typedef {(params: string[], body: unknown, query: URLSearchParams) => unknown[]} RouteHandler */
  /** The routes: [method, pattern, handler(match groups, body, query) => [status, payload]]. */
  /** @type {Array<[string, RegExp, RouteHandler]>} */
  const routes = [
    ['GET', /^\/$/, () => [200, {}]],
    ['GET', /^\/schemas\/types$/, () => [200, ['AVRO']]],
    [
      'GET',
      /^\/subjects$/,
      (_m, _b, q) => [
        200,
        [...subjects.entries()]
          .filter(([s, e]) => (q.get('deleted') === 'true' ? e.versions.length > 0 : !e.deleted && liveVersions(s).length > 0))
          .map(([s]) => s),
      ],
    ],
    [
      'GET',
      /^\/subjects\/([^/]+)\/versions$/,
      ([subject], _b, q) => {
        const entry = requireSubject(subject, q.get('deleted') === 'true');
        return [200, entry.versions.filter((v) => q.get('deleted') === 'true' || !v.deleted).map((v) => v.version)];
      },
    ],
    [
      'GET',
      /^\/subjects\/([^/]+)\/versions\/([^/]+)$/,
      ([subject, raw], _b, q) => [200, describeVersion(subject, findVersion(subject, raw, q.get('deleted') === 'true'))],
    ],
    ['GET', /^\/subjects\/([^/]+)\/versions\/([^/]+)\/schema$/, ([subject, raw]) => [200, JSON.parse(schemaById(findVersion(subject, raw).id).text)]],
    ['POST', /^\/subjects\/([^/]+)\/versions$/, ([subject], body) => [200, register(subject, body)]],
    [
      'POST',
      /^\/subjects\/([^/]+)$/,
      ([subject], body, q) => {
        const candidate = readSchemaBody(body);
        requireSubject(subject, q.get('deleted') === 'true');
        // requireSubject / findVersion above threw unless the subject exists.
        const entry = /** @type {NonNullable<ReturnType<typeof subjects.get>>} */ (subjects.get(subject));
        const found = entry.versions.filter((v) => q.get('deleted') === 'true' || !v.deleted).find((v) => schemaById(v.id).text === candidate.text);
        if (!found) throw schemaNotFound();
        return [200, describeVersion(subject, found)];
      },
    ],
    [
      'DELETE',
      /^\/subjects\/([^/]+)$/,
      ([subject], _b, q) => {
        const entry = requireSubject(subject, true);
        if (q.get('permanent') === 'true') {
          if (!entry.deleted) throw new RegistryError(404, 40405, `Subject '${subject}' was not deleted first before being permanently deleted`);
          subjects.delete(subject);
          configs.delete(subject);
          return [200, entry.versions.map((v) => v.version)];
        }
        if (entry.deleted) throw new RegistryError(404, 40404, `Subject '${subject}' was soft deleted.Set permanent=true to delete permanently`);
        const versions = entry.versions.filter((v) => !v.deleted).map((v) => v.version);
        for (const v of entry.versions) v.deleted = true;
        entry.deleted = true;
        return [200, versions];
      },
    ],
    [
      'DELETE',
      /^\/subjects\/([^/]+)\/versions\/([^/]+)$/,
      ([subject, raw], _b, q) => {
        const permanent = q.get('permanent') === 'true';
        const found = findVersion(subject, raw, permanent);
        // requireSubject / findVersion above threw unless the subject exists.
        const entry = /** @type {NonNullable<ReturnType<typeof subjects.get>>} */ (subjects.get(subject));
        if (permanent) {
          if (!found.deleted)
            throw new RegistryError(404, 40407, `Subject '${subject}' Version ${found.version} was not deleted first before being permanently deleted`);
          entry.versions = entry.versions.filter((v) => v !== found);
        } else {
          found.deleted = true;
        }
        if (entry.versions.length === 0) subjects.delete(subject);
        return [200, found.version];
      },
    ],
    [
      'GET',
      /^\/schemas\/ids\/([^/]+)$/,
      ([raw]) => {
        const schema = /^\d{1,10}$/.test(raw) ? schemaById(Number(raw)) : undefined;
        if (!schema) throw schemaNotFound(`Schema ${raw} not found`);
        return [200, { schema: schema.text }];
      },
    ],
    [
      'GET',
      /^\/schemas\/ids\/([^/]+)\/schema$/,
      ([raw]) => {
        const schema = /^\d{1,10}$/.test(raw) ? schemaById(Number(raw)) : undefined;
        if (!schema) throw schemaNotFound(`Schema ${raw} not found`);
        return [200, JSON.parse(schema.text)];
      },
    ],
    [
      'GET',
      /^\/schemas\/ids\/([^/]+)\/(versions|subjects)$/,
      ([raw, what]) => {
        const id = /^\d{1,10}$/.test(raw) ? Number(raw) : 0;
        if (!schemaById(id)) throw schemaNotFound(`Schema ${raw} not found`);
        const uses = [...subjects.entries()].flatMap(([subject, e]) =>
          e.versions.filter((v) => v.id === id && !v.deleted).map((v) => ({ subject, version: v.version })),
        );
        return [200, what === 'versions' ? uses : [...new Set(uses.map((u) => u.subject))]];
      },
    ],
    ['GET', /^\/config$/, () => [200, { compatibilityLevel: globalCompatibility }]],
    ['PUT', /^\/config$/, (_m, body) => [200, { compatibility: (globalCompatibility = readLevel(body)) }]],
    [
      'GET',
      /^\/config\/([^/]+)$/,
      ([subject], _b, q) => {
        const level = configs.get(subject);
        if (level) return [200, { compatibilityLevel: level }];
        if (q.get('defaultToGlobal') === 'true') return [200, { compatibilityLevel: globalCompatibility }];
        throw new RegistryError(404, 40408, `Subject '${subject}' does not have subject-level compatibility configured`);
      },
    ],
    [
      'PUT',
      /^\/config\/([^/]+)$/,
      ([subject], body) => {
        const level = readLevel(body);
        configs.set(subject, level);
        return [200, { compatibility: level }];
      },
    ],
    [
      'DELETE',
      /^\/config\/([^/]+)$/,
      ([subject]) => {
        requireSubject(subject, true);
        const level = compatibilityOf(subject);
        configs.delete(subject);
        return [200, { compatibilityLevel: level }];
      },
    ],
    [
      'POST',
      /^\/compatibility\/subjects\/([^/]+)\/versions\/([^/]+)$/,
      ([subject, raw], body, q) => compatibility(subject, [findVersion(subject, raw)], body, q),
    ],
    ['POST', /^\/compatibility\/subjects\/([^/]+)\/versions$/, ([subject], body, q) => compatibility(subject, liveVersions(subject), body, q)],
  ];

  function readLevel(body) {
    const level = typeof body?.compatibility === 'string' ? body.compatibility.toUpperCase() : undefined;
    if (!level || !COMPATIBILITY_LEVELS.includes(level)) throw invalidCompatibility();
    return level;
  }

  function compatibility(subject, versions, body, q) {
    const candidate = readSchemaBody(body);
    const messages = checkAgainst(subject, candidate.type, versions);
    const answer = { is_compatible: messages.length === 0 };
    if (q.get('verbose') === 'true') answer.messages = messages;
    return [200, answer];
  }

  function send(res, status, payload) {
    const text = JSON.stringify(payload);
    res.writeHead(status, { 'content-type': MEDIA_TYPE, 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }
  const sendError = (res, error) => send(res, error.status, { error_code: error.errorCode, message: error.message });

  async function readBody(req) {
    const chunks = [];
    let size = 0;
    for await (const chunk of req) {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) throw new RegistryError(413, 413, 'HTTP 413 Request Entity Too Large');
      chunks.push(chunk);
    }
    if (size === 0) return undefined;
    const type = (req.headers['content-type'] ?? 'application/json').split(';')[0].trim().toLowerCase();
    if (!ACCEPTED_BODY_TYPES.has(type)) throw new RegistryError(415, 415, 'HTTP 415 Unsupported Media Type');
    try {
      return JSON.parse(Buffer.concat(chunks).toString('utf8'));
    } catch (error) {
      throw new RegistryError(400, 400, `Unexpected character in the request body: ${error.message}`);
    }
  }

  async function handle(req, res) {
    let url;
    try {
      url = new URL(req.url ?? '/', 'http://registry.invalid');
    } catch {
      return sendError(res, new RegistryError(400, 400, 'HTTP 400 Bad Request'));
    }
    const path = url.pathname.replace(/\/+$/, '') || '/';
    requests.push({ method: req.method, path, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) });
    if (expectedAuth && req.headers.authorization !== expectedAuth) {
      res.setHeader('www-authenticate', 'Basic realm="SchemaRegistry"');
      return sendError(res, new RegistryError(401, 401, 'Unauthorized'));
    }
    if (failures > 0) {
      failures--;
      return sendError(res, new RegistryError(503, 50003, 'Error while forwarding the request to the leader'));
    }
    const matching = /** @type {Array<[string, RegExpMatchArray, RouteHandler]>} */ (
      routes.map(([method, pattern, handler]) => [method, path.match(pattern), handler]).filter(([, m]) => m)
    );
    if (matching.length === 0) return sendError(res, new RegistryError(404, 404, 'HTTP 404 Not Found'));
    const route = matching.find(([method]) => method === req.method);
    if (!route) return sendError(res, new RegistryError(405, 405, 'HTTP 405 Method Not Allowed'));
    try {
      const body = await readBody(req);
      let params;
      try {
        params = route[1].slice(1).map(decodeURIComponent);
      } catch {
        throw new RegistryError(400, 400, 'HTTP 400 Bad Request');
      }
      const [status, payload] = route[2](params, body, url.searchParams);
      send(res, status, payload);
    } catch (error) {
      if (error instanceof RegistryError) return sendError(res, error);
      sendError(res, new RegistryError(500, 50001, `Error in the backend data store: ${error.message}`));
    }
  }

  const server = http.createServer((req, res) => {
    handle(req, res).catch(() => res.destroy());
  });
  server.keepAliveTimeout = 10_000;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8081, host, () => {
      server.off('error', reject);
      const { port } = /** @type {import('node:net').AddressInfo} */ (server.address());
      /** @type {Promise<void> | undefined} */
      let closing;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        requests,
        reset,
        failNext(count = 1) {
          failures = count;
        },
        close() {
          closing ??= new Promise((done, fail) => {
            server.close((error) => (error ? fail(error) : done()));
            server.closeAllConnections();
          });
          return closing;
        },
      });
    });
  });
}
