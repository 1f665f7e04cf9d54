#!/usr/bin/env node
// node tools/schema-registry/main.mjs: serves the Schema Registry stand-in on
// SCHEMA_REGISTRY_HOST:SCHEMA_REGISTRY_PORT (default 127.0.0.1:8081) until
// SIGINT/SIGTERM. Point SCHEMA_REGISTRY_URL of ingest and stream-processor at it.
import { startSchemaRegistry } from './schema-registry.mjs';

const rawPort = process.env.SCHEMA_REGISTRY_PORT ?? '8081';
const port = Number(rawPort);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`schema-registry: SCHEMA_REGISTRY_PORT must be a port number (0-65535), got ${JSON.stringify(rawPort)}`);
  process.exit(2);
}
let registry;
try {
  registry = await startSchemaRegistry({ port, host: process.env.SCHEMA_REGISTRY_HOST || '127.0.0.1' });
} catch (error) {
  console.error(`schema-registry: cannot listen on port ${port}: ${error.message}`);
  process.exit(1);
}
console.log(`Schema Registry stand-in at ${registry.url} (in memory, Avro only). Ctrl-C stops it.`);
const stop = () => registry.close().then(() => process.exit(0));
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
