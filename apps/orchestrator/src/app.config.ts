import { field, loadConfig, type ConfigValues } from '@userstream/core';

/** Every setting of the orchestrator app, read from the environment once at start. */
export const orchestratorConfigSpec = {
  port: field<number>({ env: 'PORT', kind: 'int', min: 0, max: 65535, default: 3000, description: 'HTTP port of the orchestrator app' }),
  host: field<string>({ env: 'HOST', kind: 'string', default: '127.0.0.1', description: 'HTTP listen address' }),
  logLevel: field<string>({ env: 'LOG_LEVEL', kind: 'enum', values: ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], default: 'info', description: 'pino log level' }),
  logPretty: field<boolean>({ env: 'LOG_PRETTY', kind: 'boolean', default: false, description: 'human-readable logs (development, needs pino-pretty)' }),
  shutdownTimeoutMs: field<number>({ env: 'SHUTDOWN_TIMEOUT_MS', kind: 'int', min: 1000, default: 25_000, description: 'bound on a graceful stop after SIGTERM' }),
};

export type OrchestratorConfig = ConfigValues<typeof orchestratorConfigSpec>;

/** Reads and validates the configuration; throws a ConfigError naming each bad variable. */
export function loadOrchestratorConfig(env: Record<string, string | undefined>): OrchestratorConfig {
  return loadConfig(orchestratorConfigSpec, env);
}
