import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { COMPATIBILITY, SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry';
import { ConfigError, componentLogger, describeError, httpRetry, isRetriableStatus, type Logger } from '@userstream/core';
import got, { type Got } from 'got';
import { KafkaError } from './kafka.errors';

/** Subject compatibility levels of the Confluent Schema Registry. */
export type CompatibilityLevel = 'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';

/** Options of {@link createSchemaRegistry}. */
export interface SchemaRegistryOptions {
  /** Registry base URL, e.g. `http://127.0.0.1:8081`. Required. */
  host: string;
  /** HTTP basic auth (Confluent Cloud: API key and secret). */
  auth?: { username: string; password: string };
  /** Compatibility level set on a subject registered the first time (and expected on existing ones). Default `BACKWARD`. */
  compatibility?: CompatibilityLevel;
  /** Retries of a failed registry request (network errors, 5xx). Default 3. */
  retries?: number;
  /** Per-request timeout in milliseconds. Default 10 000. */
  requestTimeoutMs?: number;
  /** `clientId` sent in the user agent. Default `userstream`. */
  clientId?: string;
  logger?: Logger;
}

/** Result of {@link SchemaRegistryClient.checkCompatibility}. */
export interface CompatibilityResult {
  compatible: boolean;
  /** The registry's explanations when incompatible (verbose mode), or why the check was trivially true. */
  messages: string[];
}

// mappersmith (under @kafkajs/confluent-schema-registry) reports network failures as status 400.
const NETWORK_FAILURE = /\b(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|ENOTFOUND|EPIPE|socket hang up|timed? ?out)\b/i;

/** A registry error: network failures and the shared retriable statuses (core `isRetriableStatus`) are retriable; other 4xx are not. */
function registryError(context: string, error: unknown): KafkaError {
  const status = (error as { status?: unknown } | null)?.status;
  const network = NETWORK_FAILURE.test(describeError(error));
  const retriable = typeof status !== 'number' || network || isRetriableStatus(status);
  return new KafkaError(`${context}: ${describeError(error)}`, {
    code: 'SCHEMA_REGISTRY_FAILED',
    retriable,
    cause: error,
    details: typeof status === 'number' ? { status } : {},
  });
}

/**
 * A small Confluent Schema Registry client on `@kafkajs/confluent-schema-registry`:
 * register a schema under a subject, fetch a schema by id (cached: ids are
 * immutable), and check a schema against a subject's latest version. Errors
 * are {@link KafkaError}s with code `SCHEMA_REGISTRY_FAILED`.
 *
 * @example
 * ```ts
 * const registry = createSchemaRegistry({ host: 'http://127.0.0.1:8081' });
 * const id = await registry.register('users_created-value', userSchemaV2Json);
 * const codec = new UserCodec({ resolveSchemaId: (id) => registry.getSchema(id) });
 * ```
 */
export class SchemaRegistryClient {
  private readonly registry: SchemaRegistry;
  private readonly agent: HttpAgent | HttpsAgent;
  private readonly compatibility: CompatibilityLevel;
  private readonly http: Got;
  private readonly logger: Logger;
  private readonly byId = new Map<number, Promise<object>>();
  private readonly idBySubjectSchema = new Map<string, number>();

  constructor(options: SchemaRegistryOptions) {
    let base: URL;
    try {
      base = new URL(options.host);
    } catch {
      throw new ConfigError(`schema registry host must be an absolute http(s) URL (got ${JSON.stringify(options.host)})`);
    }
    if (base.protocol !== 'http:' && base.protocol !== 'https:') throw new ConfigError(`schema registry host must use http or https (got ${base.protocol})`);
    const compatibility = options.compatibility ?? 'BACKWARD';
    if (!(compatibility in COMPATIBILITY)) throw new ConfigError(`schema registry compatibility must be one of ${Object.keys(COMPATIBILITY).join(', ')}`);
    if (options.auth && (!options.auth.username || !options.auth.password)) throw new ConfigError('schema registry auth needs username and password');
    this.compatibility = compatibility;
    this.logger = componentLogger(options.logger, 'schema-registry');
    // Our own agent, so close() can drop its keep-alive sockets.
    this.agent = base.protocol === 'https:' ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    // The compatibility check goes through got with the shared retry policy; the registry library (mappersmith) does the rest with its own.
    this.http = got.extend({
      prefixUrl: base.toString(),
      agent: base.protocol === 'https:' ? { https: this.agent as HttpsAgent } : { http: this.agent as HttpAgent },
      headers: {
        accept: 'application/vnd.schemaregistry.v1+json, application/json',
        ...(options.auth ? { authorization: `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}` } : {}),
      },
      timeout: { request: options.requestTimeoutMs ?? 10_000 },
      retry: httpRetry({ maxAttempts: 1 + (options.retries ?? 3), initialDelayMs: 100, maxDelayMs: 5_000 }),
      throwHttpErrors: false,
      responseType: 'text',
    });
    this.registry = new SchemaRegistry({
      host: base.toString().replace(/\/$/, ''),
      clientId: options.clientId ?? 'userstream',
      agent: this.agent,
      retry: { retries: options.retries ?? 3 },
      ...(options.auth ? { auth: { username: options.auth.username, password: options.auth.password } } : {}),
    });
  }

  /**
   * Registers an Avro schema (JSON text or object) under `subject` and returns
   * its id; registering the same schema again returns the same id. A new
   * subject gets the configured compatibility level.
   */
  async register(subject: string, schema: string | object): Promise<number> {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    const cacheKey = `${subject}\u0000${text}`;
    const cached = this.idBySubjectSchema.get(cacheKey);
    if (cached !== undefined) return cached;
    try {
      const { id } = await this.registry.register({ type: SchemaType.AVRO, schema: text }, { subject, compatibility: COMPATIBILITY[this.compatibility] });
      this.idBySubjectSchema.set(cacheKey, id);
      this.logger.info({ subject, id }, 'schema registered');
      return id;
    } catch (error) {
      throw registryError(`registering schema under subject ${subject}`, error);
    }
  }

  /** The Avro schema (parsed JSON) with registry id `id`. Cached per id; a failed lookup is not cached. */
  getSchema(id: number): Promise<object> {
    let schema = this.byId.get(id);
    if (!schema) {
      schema = this.registry.getSchema(id).then(
        (type) => {
          const exported = (type as { schema?: (opts?: object) => unknown }).schema;
          if (typeof exported !== 'function') throw new KafkaError(`schema id ${id} is not an Avro schema`, { code: 'SCHEMA_REGISTRY_FAILED' });
          return exported.call(type, { exportAttrs: true }) as object;
        },
        (error: unknown) => {
          throw registryError(`fetching schema id ${id}`, error);
        },
      );
      schema.catch(() => this.byId.delete(id));
      this.byId.set(id, schema);
    }
    return schema;
  }

  /**
   * Whether `schema` may be registered under `subject` given the subject's
   * compatibility level (checked against the latest version). A subject with
   * no versions yet is compatible.
   */
  async checkCompatibility(subject: string, schema: string | object): Promise<CompatibilityResult> {
    const text = typeof schema === 'string' ? schema : JSON.stringify(schema);
    const path = `compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`;
    let response: { status: number; body: unknown };
    try {
      response = await this.requestJson('POST', path, { schema: text });
    } catch (error) {
      throw registryError(`checking compatibility of subject ${subject}`, error);
    }
    const body = (response.body ?? {}) as { is_compatible?: boolean; messages?: unknown; error_code?: number; message?: string };
    if (response.status === 404 && (body.error_code === 40401 || body.error_code === 40402)) {
      return { compatible: true, messages: [`subject ${subject} has no versions yet`] };
    }
    if (response.status >= 400) {
      throw registryError(
        `checking compatibility of subject ${subject}`,
        Object.assign(new Error(body.message ?? `HTTP ${response.status}`), { status: response.status }),
      );
    }
    const messages = Array.isArray(body.messages) ? body.messages.map((m) => String(m)) : [];
    return { compatible: body.is_compatible === true, messages };
  }

  private async requestJson(method: 'POST', path: string, payload: unknown): Promise<{ status: number; body: unknown }> {
    const res = await this.http(path, { method, body: JSON.stringify(payload), headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' } });
    let body: unknown = res.body;
    try {
      body = res.body === '' ? undefined : JSON.parse(res.body);
    } catch {
      // keep the text
    }
    return { status: res.statusCode, body };
  }

  /** Closes idle keep-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}

/** Creates a {@link SchemaRegistryClient}. Throws ConfigError for a bad host, auth or compatibility level. */
export function createSchemaRegistry(options: SchemaRegistryOptions): SchemaRegistryClient {
  return new SchemaRegistryClient(options);
}
