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
    expect(() => loadOrchestratorConfig({ ORCHESTRATOR_JOB_DURATION_SECONDS: '120', ORCHESTRATOR_JOB_TIMEOUT_MS: '60000' })).toThrow(/^ORCHESTRATOR_JOB_TIMEOUT_MS: /);
    expect(() => loadOrchestratorConfig({ ORCHESTRATOR_WEBHOOK_URL: 'not a url' })).toThrow(/ORCHESTRATOR_WEBHOOK_URL: must be an absolute URL \(got <secret>\)/);
  });
});
