import { ConfigError } from '@userstream/core';
import { loadOrchestratorConfig } from './app.config';

describe('loadOrchestratorConfig', () => {
  it('defaults to the reference job: hourly, 60 s runs, retries 2, 2 min exponential, max 10 min', () => {
    const config = loadOrchestratorConfig({});
    expect(config).toMatchObject({
      port: 3000,
      jobSchedule: '0 * * * *',
      jobDurationSeconds: 60,
      jobRetries: 2,
      jobRetryDelayMs: 120_000,
      jobExponentialBackoff: true,
      jobMaxRetryDelayMs: 600_000,
      ingestUrl: 'http://127.0.0.1:3001',
      processorUrl: 'http://127.0.0.1:3002',
      historyKeyspace: 'userstream_orchestrator',
      kafkaTopic: 'users_created',
    });
    expect(config.password).toBeUndefined();
    expect(config.webhookUrl).toBeUndefined();
  });

  it('names the variable of a bad schedule or a timeout shorter than the run', () => {
    expect(() => loadOrchestratorConfig({ ORCHESTRATOR_JOB_SCHEDULE: 'every hour' })).toThrow(/^ORCHESTRATOR_JOB_SCHEDULE: invalid cron expression/);
    expect(() => loadOrchestratorConfig({ ORCHESTRATOR_JOB_DURATION_SECONDS: '120', ORCHESTRATOR_JOB_TIMEOUT_MS: '60000' })).toThrow(ConfigError);
    expect(() => loadOrchestratorConfig({ ORCHESTRATOR_JOB_DURATION_SECONDS: '120', ORCHESTRATOR_JOB_TIMEOUT_MS: '60000' })).toThrow(
      /^ORCHESTRATOR_JOB_TIMEOUT_MS: /,
    );
    expect(() => loadOrchestratorConfig({ ORCHESTRATOR_WEBHOOK_URL: 'not a url' })).toThrow(
      /ORCHESTRATOR_WEBHOOK_URL: must be an absolute URL \(got <secret>\)/,
    );
  });

  it('samples the dashboard history every 10 s by default, at most every second, and names a bad interval', () => {
    expect(loadOrchestratorConfig({}).historyIntervalMs).toBe(10_000);
    expect(loadOrchestratorConfig({ ORCHESTRATOR_HISTORY_INTERVAL_MS: '1000' }).historyIntervalMs).toBe(1000);
    expect(() => loadOrchestratorConfig({ ORCHESTRATOR_HISTORY_INTERVAL_MS: '999' })).toThrow(
      /ORCHESTRATOR_HISTORY_INTERVAL_MS: must be at least 1000 \(got "999"\)/,
    );
    expect(() => loadOrchestratorConfig({ ORCHESTRATOR_HISTORY_INTERVAL_MS: 'often' })).toThrow(/ORCHESTRATOR_HISTORY_INTERVAL_MS: /);
  });

  it('makes the session cookie Secure by default in production only, and lets it be set either way', () => {
    expect(loadOrchestratorConfig({ NODE_ENV: 'production' }).cookieSecure).toBe(true);
    expect(loadOrchestratorConfig({}).cookieSecure).toBe(false);
    expect(loadOrchestratorConfig({ NODE_ENV: 'production', ORCHESTRATOR_COOKIE_SECURE: 'false' }).cookieSecure).toBe(false);
    expect(loadOrchestratorConfig({ ORCHESTRATOR_COOKIE_SECURE: 'true' }).cookieSecure).toBe(true);
  });

  it('refuses a short session secret and timer settings a Node timer cannot hold, without printing the secret', () => {
    const short = () => loadOrchestratorConfig({ ORCHESTRATOR_SESSION_SECRET: 'too-short-secret' });
    expect(short).toThrow(/ORCHESTRATOR_SESSION_SECRET: must be at least 32 characters/);
    expect(short).not.toThrow(/too-short-secret/);
    expect(loadOrchestratorConfig({ ORCHESTRATOR_SESSION_SECRET: 'x'.repeat(32) }).sessionSecret).toHaveLength(32);
    expect(() => loadOrchestratorConfig({ ORCHESTRATOR_JOB_TIMEOUT_MS: String(2 ** 31) })).toThrow(/ORCHESTRATOR_JOB_TIMEOUT_MS: must be at most 2147483647/);
    expect(() => loadOrchestratorConfig({ ORCHESTRATOR_JOB_RETRY_DELAY_MS: String(2 ** 32) })).toThrow(/ORCHESTRATOR_JOB_RETRY_DELAY_MS: must be at most/);
  });

  it('gives the orchestrator the same Kafka and Cassandra security options as the other apps', () => {
    const config = loadOrchestratorConfig({
      KAFKA_SSL: 'true',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'orch',
      KAFKA_SASL_PASSWORD: 'kafka-secret',
      CASSANDRA_SSL: 'true',
    });
    expect(config.kafkaSecurity).toEqual({
      ssl: { rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'orch', password: 'kafka-secret' },
    });
    expect(config.cassandraTls).toEqual({ rejectUnauthorized: true });
    expect(() => loadOrchestratorConfig({ KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'u', KAFKA_SASL_PASSWORD: 'p' })).toThrow(
      /KAFKA_SASL_MECHANISM: plain without TLS/,
    );
  });
});
