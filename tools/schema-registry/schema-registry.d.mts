// Types for schema-registry.mjs, the Confluent Schema Registry stand-in (see README.md).

export type CompatibilityLevel = 'NONE' | 'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE';

export const COMPATIBILITY_LEVELS: readonly CompatibilityLevel[];

export interface SchemaRegistryOptions {
  /** Default 8081 (the registry's); 0 for any free port. */
  port?: number;
  /** Default 127.0.0.1. */
  host?: string;
  /** Require HTTP Basic with these credentials. */
  auth?: { username: string; password: string };
  /** Global compatibility level at start. Default BACKWARD. */
  compatibility?: CompatibilityLevel;
}

export interface SchemaRegistryStandIn {
  /** Base URL without a trailing slash, e.g. http://127.0.0.1:8081 */
  url: string;
  port: number;
  /** Every request seen (method, path, Authorization header), oldest first. */
  requests: Array<{ method: string; path: string; authorization?: string }>;
  /** Forgets every schema, subject, setting and request. */
  reset(): void;
  /** Answers the next `count` requests with 503 / 50003, as a registry whose leader is away. */
  failNext(count?: number): void;
  close(): Promise<void>;
}

export function startSchemaRegistry(options?: SchemaRegistryOptions): Promise<SchemaRegistryStandIn>;
