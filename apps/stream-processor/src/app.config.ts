import { field, loadConfig, type ConfigValues } from '@userstream/core';

/** Every setting of the stream-processor app, read from the environment once at start. */
export const stream_processorConfigSpec = {
  port: field<number>({ env: 'PORT', kind: 'int', min: 0, max: 65535, default: 3002, description: 'HTTP port of the stream-processor app' }),
  host: field<string>({ env: 'HOST', kind: 'string', default: '127.0.0.1', description: 'HTTP listen address' }),
  logLevel: field<string>({ env: 'LOG_LEVEL', kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', description: 'pino log level' }),
  logPretty: field<boolean>({ env: 'LOG_PRETTY', kind: 'boolean', default: false, description: 'human-readable logs (development, needs pino-pretty)' }),
  shutdownTimeoutMs: field<number>({ env: 'SHUTDOWN_TIMEOUT_MS', kind: 'int', min: 1000, default: 25_000, description: 'bound on a graceful stop after SIGTERM' }),
};

export type StreamProcessorConfig = ConfigValues<typeof stream_processorConfigSpec>;

/** Reads and validates the configuration; throws a ConfigError naming each bad variable. */
export function loadStreamProcessorConfig(env: Record<string, string | undefined>): StreamProcessorConfig {
  return loadConfig(stream_processorConfigSpec, env);
}
